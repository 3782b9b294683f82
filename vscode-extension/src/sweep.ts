/**
 * "LessonL: Sweep Hotspots": the server's sweep (`lessonl.sweep`, the same as `lessonl sweep`)
 * run with progress and Cancel, then its summary as a quick pick, one entry per function
 * (share, speedup with its interval, verification, lessons from earlier functions); choosing
 * a function opens its proposal in the same review as "Optimize Function at Cursor".
 *
 * The sweep applies nothing. A finished function's proposal is fetched again with
 * `lessonl/sweepProposal` (the server rebuilds it from the kept sweep, and refuses once the
 * file changed since the sweep began); the review itself is the usual one.
 *
 * "LessonL: Show Past Sweep" reopens the same summary for a finished sweep the project keeps
 * (`lessonl/sweeps`, newest first, then `lessonl/sweepSummary`). A function whose file changed
 * since that sweep is marked stale by the server: its entry says so and opens no review, since
 * its proposal was made against a text the file no longer has.
 *
 * The command goes as `workspace/executeCommand` with our own progress token: progress the
 * server creates is shown by the language client in the status bar, where it cannot be
 * cancelled; Cancel here sends `window/workDoneProgress/cancel` for our token.
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { Commands, Methods, SERVER_SWEEP } from './constants';
import { PROGRESS_CANCEL, projectUri } from './hotspots';
import type { OptimizeResult, PastSweep, SweepArgument, SweepFunction, SweepResult } from './protocol';
import type { ProposalReview } from './proposals';
import type { LspClient } from './server';

export interface SweepDeps {
  /** The running client, starting the server if needed; undefined if it cannot run. */
  client(): Promise<LspClient | undefined>;
  review: ProposalReview;
  log: vscode.LogOutputChannel;
}

export interface SweepPick extends vscode.QuickPickItem {
  entry: SweepFunction;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}

/** One function's line of the summary: what `lessonl sweep`'s table says about it. */
export function summaryItem(f: SweepFunction): SweepPick {
  const best = f.best;
  const speed = best?.speedup ? `${best.speedup.toFixed(2)}x` : 'not faster';
  const ci = best?.ci95 ? ` [${best.ci95[0].toFixed(2)}-${best.ci95[1].toFixed(2)}]` : '';
  const earlier = f.lessons_from_earlier === 1 ? '1 lesson' : `${f.lessons_from_earlier} lessons`;
  const stale = best && f.stale;
  return {
    label: `${stale ? '$(warning)' : best ? '$(check)' : '$(circle-slash)'} ${f.function}`,
    description: `${percent(f.share)} of the workload · ${speed}${ci}`,
    detail: f.error
      ? `not optimized: ${f.error}`
      : stale
        ? `stale: ${f.stale}`
        : `${f.verification || 'verification not recorded'} · ${earlier} from earlier functions${best ? '' : ' · nothing to review'}`,
    entry: f,
  };
}

/** The end-to-end line, worded as the CLI words it. */
export function endToEndLine(result: SweepResult): string {
  const e = result.end_to_end;
  if (e.speedup === null) {
    return `end to end: ${e.note}`;
  }
  const ci = e.ci95 ? ` (95% CI ${e.ci95[0].toFixed(2)}-${e.ci95[1].toFixed(2)})` : '';
  const tests =
    e.tests_passed === null
      ? 'tests not run'
      : e.tests_failed
        ? `${e.tests_failed} of ${e.tests_passed + e.tests_failed} tests FAIL`
        : `all ${e.tests_passed} tests pass`;
  return `workload \`${e.workload}\` ${e.speedup.toFixed(2)}x faster${ci}, ${tests}`;
}

/** Runs the sweep under a cancellable notification; undefined when cancelled or failed (the server said why). */
async function runWithProgress(client: LspClient, argument: SweepArgument): Promise<SweepResult | undefined> {
  const token = `lessonl-sweep-${randomUUID()}`;
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'LessonL: sweeping hotspots', cancellable: true },
    async (progress, cancel) => {
      let percentage = 0;
      const sub = client.onWorkDoneProgress(token, (value) => {
        if (value.kind === 'end') {
          return;
        }
        const increment = typeof value.percentage === 'number' && value.percentage > percentage ? value.percentage - percentage : 0;
        percentage += increment;
        progress.report({ message: value.message, increment });
      });
      const onCancel = cancel.onCancellationRequested(() => {
        void client.sendNotification(PROGRESS_CANCEL, { token });
      });
      try {
        const params = { command: SERVER_SWEEP, arguments: [{ ...argument, workDoneToken: token }] };
        return (await client.sendRequest<SweepResult | null>('workspace/executeCommand', params)) ?? undefined;
      } finally {
        onCancel.dispose();
        sub.dispose();
      }
    },
  );
}

/** Opens one swept function's proposal in the review; false when there is none to open. */
export async function reviewFunction(deps: SweepDeps, client: LspClient, result: SweepResult, uri: string | undefined, f: SweepFunction): Promise<boolean> {
  if (!f.best) {
    void vscode.window.showInformationMessage(`LessonL: the sweep found nothing faster for \`${f.function}\`, so there is nothing to review.`);
    return false;
  }
  if (f.stale) {
    // Never offered as applicable: the proposal was made against a text the file no longer has.
    void vscode.window.showWarningMessage(`LessonL: ${f.stale}`);
    return false;
  }
  try {
    const params = { sweepId: result.sweepId, function: f.function, ...(uri ? { uri } : {}) };
    const proposal = await client.sendRequest<OptimizeResult>(Methods.sweepProposal, params);
    if (proposal.baseVersion === null || proposal.baseVersion === undefined) {
      // The file was not open in the editor; the server compared the text on disk.
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(proposal.uri));
      if (doc.isDirty) {
        throw new Error(`${f.function}: the file has unsaved changes since the sweep; save or revert them first`);
      }
      proposal.baseVersion = doc.version;
    }
    await deps.review.open(proposal);
    return true;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    deps.log.error(`${Methods.sweepProposal} failed: ${message}`);
    void vscode.window.showErrorMessage(message.startsWith('LessonL:') ? message : `LessonL: ${message}`);
    return false;
  }
}

/** The summary: a quick pick of the swept functions, each choice opening its review. */
export async function showSummary(deps: SweepDeps, client: LspClient, result: SweepResult, uri: string | undefined): Promise<void> {
  if (result.functions.length === 0) {
    void vscode.window.showInformationMessage(`LessonL: the sweep optimized no function. ${endToEndLine(result)}`);
    return;
  }
  const stopped = result.stopped !== 'done' ? ` · stopped early (${result.stopped}): sweep again to go on` : '';
  const pick = await vscode.window.showQuickPick(result.functions.map(summaryItem), {
    title: `LessonL sweep: ${endToEndLine(result)}${stopped}`,
    placeHolder: 'Choose a function to review its proposal (nothing is applied until you accept it)',
    matchOnDescription: true,
  });
  if (pick) {
    await reviewFunction(deps, client, result, uri, pick.entry);
  }
}

/** "LessonL: Sweep Hotspots". Resolves to the sweep's result, or undefined (cancelled, failed, no server). */
export async function runSweep(deps: SweepDeps, arg?: SweepArgument): Promise<SweepResult | undefined> {
  const client = await deps.client();
  if (!client) {
    void vscode.window.showErrorMessage('LessonL: the server is not running; fix the problem it reported, then run "LessonL: Restart Server".');
    return undefined;
  }
  const uri = projectUri(arg);
  const argument: SweepArgument = { ...arg, ...(uri ? { uri } : {}) };
  let result: SweepResult | undefined;
  try {
    result = await runWithProgress(client, argument);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    deps.log.error(`${SERVER_SWEEP} failed: ${message}`);
    void vscode.window.showErrorMessage(`LessonL: ${message}`);
    return undefined;
  }
  if (result) {
    await showSummary(deps, client, result, uri);
  }
  return result;
}

interface PastPick extends vscode.QuickPickItem {
  sweep: PastSweep;
}

function pastItem(sweep: PastSweep, newest: boolean): PastPick {
  if (sweep.error) {
    return { label: `$(error) ${sweep.sweepId}`, detail: sweep.error, sweep };
  }
  const when = sweep.started ? sweep.started.replace('T', ' ').replace(/\+00:00$/, ' UTC') : sweep.sweepId;
  const stopped = sweep.stopped && sweep.stopped !== 'done' ? ` · stopped early (${sweep.stopped})` : '';
  return {
    label: `${newest ? '$(history) latest · ' : ''}${when} · \`${sweep.workload}\``,
    description: `${sweep.faster ?? 0} of ${sweep.functions ?? 0} functions faster${stopped}`,
    detail: sweep.endToEnd,
    sweep,
  };
}

/** "LessonL: Show Past Sweep": the project's finished sweeps, newest first; the chosen one's summary as after a sweep. */
export async function showPastSweep(deps: SweepDeps, arg?: SweepArgument): Promise<SweepResult | undefined> {
  const client = await deps.client();
  if (!client) {
    void vscode.window.showErrorMessage('LessonL: the server is not running; fix the problem it reported, then run "LessonL: Restart Server".');
    return undefined;
  }
  const uri = projectUri(arg);
  const where = uri ? { uri } : {};
  try {
    const past = await client.sendRequest<PastSweep[]>(Methods.sweeps, where);
    if (past.length === 0) {
      void vscode.window.showInformationMessage('LessonL: this project keeps no finished sweep; run "LessonL: Sweep Hotspots" first.');
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      past.map((p, i) => pastItem(p, i === 0)),
      { title: 'LessonL: past sweeps (newest first)', placeHolder: 'Choose a sweep to show its summary' },
    );
    if (!pick) {
      return undefined;
    }
    if (pick.sweep.error) {
      throw new Error(pick.sweep.error);
    }
    const result = await client.sendRequest<SweepResult>(Methods.sweepSummary, { sweepId: pick.sweep.sweepId, ...where });
    await showSummary(deps, client, result, uri);
    return result;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    deps.log.error(`${Commands.showPastSweep} failed: ${message}`);
    void vscode.window.showErrorMessage(message.startsWith('LessonL:') ? message : `LessonL: ${message}`);
    return undefined;
  }
}
