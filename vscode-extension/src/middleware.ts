/**
 * Language client middleware.
 *
 * The server's code action carries the server command `lessonl.optimize`, which the language
 * client registers itself (so we must not). Run through that command, the server would apply
 * the result with a refactor preview, the route meant for editors without this extension.
 * Here we rewrite the action to our client command, which sends the cancellable
 * `lessonl/optimize` request with progress and opens the diff review instead. The hotspot
 * lenses get the same rewrite, and `lessonl.findHotspots` gets its progress (hotspots.ts).
 */
import * as vscode from 'vscode';
import type { Middleware } from 'vscode-languageclient';
import { Commands, CONFIG_SECTION } from './constants';
import { findHotspots, rewriteLenses } from './hotspots';
import type { LspClient } from './server';
import { readServerSettings } from './settings';

type Action = vscode.Command | vscode.CodeAction;

function isCommand(item: Action): item is vscode.Command {
  return typeof (item as vscode.Command).command === 'string';
}

function rewriteCommand(command: vscode.Command): vscode.Command {
  if (command.command !== Commands.serverOptimize) {
    return command;
  }
  return { ...command, command: Commands.optimizeWithReview };
}

/** Rewrites `lessonl.optimize` to `lessonl.optimizeWithReview`, keeping title and argument. */
export function rewriteAction<T extends Action>(item: T): T {
  if (isCommand(item)) {
    return rewriteCommand(item) as T;
  }
  if (item.command) {
    item.command = rewriteCommand(item.command);
  }
  return item;
}

export function rewriteActions(actions: Action[] | null | undefined): Action[] | null | undefined {
  return actions?.map(rewriteAction);
}

/** `client`: the client this middleware serves (it exists only once the middleware does). */
export function createMiddleware(client: () => LspClient | undefined = () => undefined): Middleware {
  return {
    async provideCodeLenses(document, token, next) {
      return rewriteLenses(await next(document, token));
    },
    async executeCommand(command, args, next) {
      if (command !== Commands.serverFindHotspots) {
        return next(command, args);
      }
      return findHotspots(client(), args, async (withProgress) => next(command, withProgress));
    },
    async provideCodeActions(document, range, context, token, next) {
      return rewriteActions(await next(document, range, context, token));
    },
    async resolveCodeAction(item, token, next) {
      const resolved = await next(item, token);
      return resolved ? rewriteAction(resolved) : resolved;
    },
    workspace: {
      // Answer section `lessonl` with the same object as initializationOptions.
      async configuration(params, token, next) {
        const result = await next(params, token);
        if (!Array.isArray(result)) {
          return result;
        }
        return params.items.map((item, i) =>
          item.section === CONFIG_SECTION
            ? readServerSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
            : result[i],
        );
      },
    },
  };
}
