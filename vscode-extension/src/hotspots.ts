/**
 * Hotspots: "LessonL: Find Hotspots" and the CodeLens above hot functions.
 *
 * Both come from the server. `lessonl.findHotspots` is a server command, so the language
 * client registers it (we must not); the middleware routes it through `findHotspots` here,
 * which adds what a palette invocation lacks (the active file, to pick the project) and shows
 * the profile's progress as a notification with a Cancel button: progress the server creates
 * on its own is shown by the language client in the status bar, where it cannot be
 * cancelled. Cancel sends `window/workDoneProgress/cancel` for our token, which stops the
 * profile (the server keeps the last one).
 *
 * The lens of a hot function carries the server command `lessonl.optimize`; like the code
 * action, it is rewritten to our reviewed run (`rewriteLenses`).
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { Commands } from './constants';
import type { FindHotspotsArgument } from './protocol';
import type { LspClient } from './server';

/** LSP notification a client sends to cancel a work-done progress it was given. */
export const PROGRESS_CANCEL = 'window/workDoneProgress/cancel';

/** The project to profile: the argument's, else the active file's, else the first folder's. */
export function projectUri(arg: FindHotspotsArgument | undefined): string | undefined {
  if (arg?.uri) {
    return arg.uri;
  }
  const doc = vscode.window.activeTextEditor?.document;
  if (doc && doc.uri.scheme === 'file') {
    return doc.uri.toString();
  }
  return vscode.workspace.workspaceFolders?.[0]?.uri.toString();
}

/**
 * Runs the server command through `next` with a client token whose progress is shown with
 * Cancel. Without a running client (the middleware always has one) it just forwards.
 */
export async function findHotspots(
  client: LspClient | undefined,
  args: unknown[],
  next: (args: unknown[]) => Promise<unknown>,
): Promise<unknown> {
  const given = (args[0] ?? undefined) as FindHotspotsArgument | undefined;
  const uri = projectUri(given);
  const argument: FindHotspotsArgument = { ...given, ...(uri ? { uri } : {}) };
  if (!client) {
    return next([argument]);
  }
  const token = `lessonl-hotspots-${randomUUID()}`;
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'LessonL: finding hotspots', cancellable: true },
    async (progress, cancel) => {
      const sub = client.onWorkDoneProgress(token, (value) => {
        if (value.kind !== 'end' && value.message) {
          progress.report({ message: value.message });
        }
      });
      const onCancel = cancel.onCancellationRequested(() => {
        void client.sendNotification(PROGRESS_CANCEL, { token });
      });
      try {
        return await next([{ ...argument, workDoneToken: token }]);
      } finally {
        onCancel.dispose();
        sub.dispose();
      }
    },
  );
}

/** Rewrites a lens's `lessonl.optimize` to `lessonl.optimizeWithReview`, keeping the rest. */
export function rewriteLenses<T extends { command?: vscode.Command }>(lenses: T[] | null | undefined): T[] | null | undefined {
  for (const lens of lenses ?? []) {
    if (lens.command?.command === Commands.serverOptimize) {
      lens.command = { ...lens.command, command: Commands.optimizeWithReview };
    }
  }
  return lenses;
}
