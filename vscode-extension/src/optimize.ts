/**
 * The client side of "Optimize `NAME` with lessons": sends the cancellable `lessonl/optimize`
 * request under a notification progress whose Cancel button cancels the request (the token
 * goes to sendRequest, which sends `$/cancelRequest`), then opens the review.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Methods, REQUEST_CANCELLED } from './constants';
import type { OptimizeArgument, OptimizeParams, OptimizeResult } from './protocol';
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

/**
 * Runs one optimization. Resolves to the result, or undefined when there was none (cancelled,
 * failed, or no server); each of those already told the user.
 */
export async function runOptimize(deps: OptimizeDeps, arg?: OptimizeArgument): Promise<OptimizeResult | undefined> {
  const target = arg ?? argumentFromEditor(vscode.window.activeTextEditor);
  if (!target) {
    void vscode.window.showInformationMessage('LessonL: open a C, C++ or Python file and put the cursor in a function.');
    return undefined;
  }
  const client = await deps.client();
  if (!client) {
    void vscode.window.showErrorMessage('LessonL: the server is not running; fix the problem it reported, then run "LessonL: Restart Server".');
    return undefined;
  }
  const file = path.posix.basename(vscode.Uri.parse(target.uri).path);
  const name = target.function ?? file;
  const params: OptimizeParams = { ...target, workDoneToken: `lessonl-optimize-${randomUUID()}` };

  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `LessonL: optimizing \`${name}\``, cancellable: true },
    async (progress, token) => {
      const report = (message: string): void => progress.report({ message });
      const run = deps.status.begin(target.uri, name, report);
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
          deps.status.update(target.uri, value.message);
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
    if (outcome.cancelled) {
      void vscode.window.showInformationMessage(`LessonL: optimization of \`${name}\` cancelled.`);
    } else {
      deps.log.error(`lessonl/optimize failed: ${errorMessage(outcome.error)}`);
      void vscode.window.showErrorMessage(`LessonL: ${errorMessage(outcome.error)}`);
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
