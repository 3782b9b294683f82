/**
 * The client side of "Optimize `NAME` with lessons": sends the cancellable `lessonl/optimize`
 * request under a notification progress whose Cancel button cancels the request (the token
 * goes to sendRequest, which sends `$/cancelRequest`), then opens the review.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Methods, REQUEST_CANCELLED } from './constants';
import type { OptimizeArgument, OptimizeParams, OptimizeResult, RequestFailedData } from './protocol';
import type { RunStatus } from './progress';
import type { ProposalReview } from './proposals';
import type { LspClient } from './server';

export interface OptimizeDeps {
  /** The running client, starting the server if needed; undefined if it cannot run. */
  client(): Promise<LspClient | undefined>;
  status: RunStatus;
  review: ProposalReview;
  /** Called after a run that added lessons, so the lessons view shows them. */
  lessonsChanged(): void;
  log: vscode.LogOutputChannel;
}

function isCancellation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === REQUEST_CANCELLED;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The argument for a run started from the command palette: the cursor's function in the active editor. */
export function argumentFromEditor(editor: vscode.TextEditor | undefined): OptimizeArgument | undefined {
  if (!editor || editor.document.uri.scheme !== 'file') {
    return undefined;
  }
  const { start, end } = editor.selection;
  return {
    uri: editor.document.uri.toString(),
    version: editor.document.version,
    range: {
      start: { line: start.line, character: start.character },
      end: { line: end.line, character: end.character },
    },
  };
}

/** One field of a `RequestFailed` error's structured `data` (the server's `wire.error_data`). */
function errorData(err: unknown, field: keyof RequestFailedData): unknown {
  const data = typeof err === 'object' && err !== null ? (err as { data?: unknown }).data : undefined;
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[field] : undefined;
}

/** The setting a run error is about (`data.setting`, e.g. `lessonl.rounds`), if any. */
export function badSetting(err: unknown): string | undefined {
  const setting = errorData(err, 'setting');
  return typeof setting === 'string' && /^lessonl(?:\.\w+)?$/.test(setting) ? setting : undefined;
}

/** The targets a `RequestFailed` error offers to choose from (`data.targets`), if any. */
export function targetsOffered(err: unknown): string[] | undefined {
  const targets = errorData(err, 'targets');
  return Array.isArray(targets) && targets.length > 1 && targets.every((t) => typeof t === 'string') ? targets : undefined;
}

/** Asks which of several targets covering the file the run uses; undefined if dismissed. */
async function chooseTarget(names: string[], name: string): Promise<string | undefined> {
  const pick = await vscode.window.showQuickPick(
    names.map((label) => ({ label, description: 'lessonl.toml target' })),
    { placeHolder: `Several targets cover \`${name}\`: which one should LessonL use?` },
  );
  return pick?.label;
}

/**
 * Runs one optimization. Resolves to the result, or undefined when there was none (cancelled,
 * failed, no target chosen, or no server); each of those already told the user.
 *
 * Several targets covering the file: the code action's argument names them (`targets`), and
 * a quick pick asks which one before the run; from the command palette the server's answer
 * names them (`data.targets` of its error), and the pick comes then, once.
 */
export async function runOptimize(deps: OptimizeDeps, arg?: OptimizeArgument): Promise<OptimizeResult | undefined> {
  let target = arg ?? argumentFromEditor(vscode.window.activeTextEditor);
  if (!target) {
    void vscode.window.showInformationMessage('LessonL: open a C, C++ or Python file and put the cursor in a function.');
    return undefined;
  }
  const file = path.posix.basename(vscode.Uri.parse(target.uri).path);
  const name = target.function ?? file;
  if (!target.target && target.targets && target.targets.length > 1) {
    const chosen = await chooseTarget(target.targets, name);
    if (!chosen) {
      void vscode.window.showInformationMessage('LessonL: no target chosen, so nothing was run.');
      return undefined;
    }
    target = { ...target, target: chosen };
  }
  const client = await deps.client();
  if (!client) {
    void vscode.window.showErrorMessage('LessonL: the server is not running; fix the problem it reported, then run "LessonL: Restart Server".');
    return undefined;
  }
  const { targets: _offered, ...request } = target;
  const params: OptimizeParams = { ...request, workDoneToken: `lessonl-optimize-${randomUUID()}` };
  const uri = target.uri;

  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `LessonL: optimizing \`${name}\``, cancellable: true },
    async (progress, token) => {
      const report = (message: string): void => progress.report({ message });
      const run = deps.status.begin(uri, name, report);
      let percentage = 0;
      const sub = client.onWorkDoneProgress(String(params.workDoneToken), (value) => {
        if (value.kind === 'end') {
          return;
        }
        if (typeof value.percentage === 'number' && value.percentage > percentage) {
          progress.report({ increment: value.percentage - percentage });
          percentage = value.percentage;
        }
        if (value.message) {
          deps.status.update(uri, value.message);
        }
      });
      try {
        return { result: await client.sendRequest<OptimizeResult>(Methods.optimize, params, token) };
      } catch (err) {
        return { error: err, cancelled: token.isCancellationRequested || isCancellation(err) };
      } finally {
        sub.dispose();
        run.dispose();
      }
    },
  );

  if ('error' in outcome) {
    const offered = targetsOffered(outcome.error);
    if (offered && !target.target) {
      return runOptimize(deps, { ...target, targets: offered });
    }
    if (outcome.cancelled) {
      void vscode.window.showInformationMessage(`LessonL: optimization of \`${name}\` cancelled.`);
    } else {
      const message = errorMessage(outcome.error);
      deps.log.error(`lessonl/optimize failed: ${message}`);
      const setting = badSetting(outcome.error);
      if (setting) {
        void vscode.window
          .showErrorMessage(`LessonL: ${message}`, 'Open Settings')
          .then((choice) => choice && vscode.commands.executeCommand('workbench.action.openSettings', setting));
      } else {
        void vscode.window.showErrorMessage(`LessonL: ${message}`);
      }
    }
    return undefined;
  }
  const result = outcome.result;
  if (result.report?.lessons_added) {
    deps.lessonsChanged();
  }
  if (result.newText === null) {
    void vscode.window.showInformationMessage(`LessonL: ${result.summary}`);
  } else {
    await deps.review.open(result);
  }
  return result;
}
