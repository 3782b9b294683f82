/**
 * Review of a proposal: the file against a read-only virtual document holding the proposal
 * (scheme `lessonl-proposal`) in the built-in diff editor, with Accept and Reject in the
 * editor title. Accept is one WorkspaceEdit over the whole document, so one undo step brings
 * the original back, and it is refused when the document changed since the run began (the
 * proposal was measured against that exact text). Accept and Reject both tell the server,
 * which uses the answer to weigh the lessons behind the proposal.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Methods, PROPOSAL_SCHEME, SUMMARY_SCHEME } from './constants';
import type { FeedbackParams, LessonRecord, OptimizeReport, OptimizeResult } from './protocol';
import type { LspClient } from './server';

export interface Proposal {
  result: OptimizeResult;
  fileUri: vscode.Uri;
  proposalUri: vscode.Uri;
  summaryUri: vscode.Uri;
  lessons?: LessonRecord[];
}

/** Where the review gets its server connection (the ServerManager in the extension). */
export interface ClientSource {
  readonly current: LspClient | undefined;
}

export function formatSpeedup(speedup: number | null | undefined): string {
  return typeof speedup === 'number' ? `${speedup.toFixed(1)}x` : '?x';
}

export function diffTitle(result: OptimizeResult, fileUri: vscode.Uri): string {
  return `${path.posix.basename(fileUri.path)}: proposal ${formatSpeedup(result.report.best?.speedup)} faster (LessonL)`;
}

/**
 * How the proposal's correctness was judged. A report may carry a `verification` object (the
 * engine's own check, when it has one): its `summary`, else its scalar fields, are shown.
 * Without it the target's own `test` command was the judge, and the line says so, so a reader
 * never mistakes "it passed our test" for more than it is.
 */
export function verificationLine(report: OptimizeReport): string {
  const v = report.verification;
  if (v && typeof v === 'object') {
    if (typeof v.summary === 'string' && v.summary) {
      return `**Correctness:** ${v.summary}`;
    }
    const parts = Object.entries(v)
      .filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))
      .map(([key, value]) => `${key.replace(/_/g, ' ')} ${String(value)}`);
    if (parts.length) {
      return `**Correctness:** ${parts.join(' · ')}`;
    }
  }
  return "**Correctness:** judged by the target's own `test` command (lessonl.toml); passing it is all that was checked.";
}

export class ProposalReview implements vscode.TextDocumentContentProvider, vscode.HoverProvider, vscode.Disposable {
  private readonly proposals = new Map<string, Proposal>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly server: ClientSource,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get pending(): Proposal[] {
    return [...this.proposals.values()];
  }

  /** Opens the diff review of a result that has a `newText`. */
  async open(result: OptimizeResult): Promise<Proposal> {
    if (result.newText === null) {
      throw new Error('LessonL: this run found nothing faster, so there is nothing to review.');
    }
    const fileUri = vscode.Uri.parse(result.uri);
    const id = result.proposalId;
    // Same path as the file so the virtual document gets the file's language mode.
    const proposal: Proposal = {
      result,
      fileUri,
      proposalUri: vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: fileUri.path, query: id }),
      summaryUri: vscode.Uri.from({ scheme: SUMMARY_SCHEME, path: `${fileUri.path}.lessonl.md`, query: id }),
    };
    this.proposals.set(id, proposal);
    await this.updateContext();
    await vscode.commands.executeCommand('vscode.diff', fileUri, proposal.proposalUri, diffTitle(result, fileUri), {
      preview: false,
    });
    return proposal;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const proposal = this.proposals.get(uri.query);
    if (!proposal) {
      return uri.scheme === SUMMARY_SCHEME ? 'This LessonL proposal was accepted or rejected.' : '';
    }
    return uri.scheme === SUMMARY_SCHEME ? this.summaryMarkdown(proposal) : (proposal.result.newText ?? '');
  }

  async provideHover(document: vscode.TextDocument): Promise<vscode.Hover | undefined> {
    const proposal = this.proposals.get(document.uri.query);
    if (!proposal) {
      return undefined;
    }
    await this.loadLessons(proposal);
    const md = new vscode.MarkdownString(this.summaryMarkdown(proposal));
    return new vscode.Hover(md);
  }

  /** Finds the proposal a command is about: its argument, else the active editor, else the only one, else ask. */
  async resolve(target?: unknown): Promise<Proposal | undefined> {
    if (typeof target === 'string') {
      return this.proposals.get(target);
    }
    if (target instanceof vscode.Uri) {
      const found = this.byUri(target);
      if (found) {
        return found;
      }
    }
    const active = vscode.window.activeTextEditor?.document.uri;
    const fromEditor = active && this.byUri(active);
    if (fromEditor) {
      return fromEditor;
    }
    const all = this.pending;
    if (all.length <= 1) {
      return all[0];
    }
    const pick = await vscode.window.showQuickPick(
      all.map((p) => ({ label: diffTitle(p.result, p.fileUri), proposal: p })),
      { placeHolder: 'Which LessonL proposal?' },
    );
    return pick?.proposal;
  }

  /** Applies the proposal as one edit. Returns false (with a message) if it was refused. */
  async accept(target?: unknown): Promise<boolean> {
    const proposal = await this.resolve(target);
    if (!proposal) {
      void vscode.window.showInformationMessage('LessonL: there is no proposal to accept.');
      return false;
    }
    const { result, fileUri } = proposal;
    const document = await vscode.workspace.openTextDocument(fileUri);
    const name = path.posix.basename(fileUri.path);
    if (document.version !== result.baseVersion) {
      void vscode.window.showWarningMessage(
        `LessonL: ${name} changed since the run began, so the proposal was not applied; run the optimization again.`,
      );
      return false;
    }
    const edit = new vscode.WorkspaceEdit();
    const whole = new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length));
    edit.replace(fileUri, whole, result.newText ?? document.getText());
    if (!(await vscode.workspace.applyEdit(edit))) {
      void vscode.window.showErrorMessage(`LessonL: VS Code did not apply the proposal to ${name}; the file is unchanged.`);
      return false;
    }
    await this.finish(proposal, true);
    await vscode.window.showTextDocument(document);
    return true;
  }

  /** Discards the proposal. */
  async reject(target?: unknown): Promise<boolean> {
    const proposal = await this.resolve(target);
    if (!proposal) {
      void vscode.window.showInformationMessage('LessonL: there is no proposal to reject.');
      return false;
    }
    await this.finish(proposal, false);
    return true;
  }

  /** Opens the markdown summary (speedup, lessons behind the proposal) beside the diff. */
  async showSummary(target?: unknown): Promise<void> {
    const proposal = await this.resolve(target);
    if (!proposal) {
      void vscode.window.showInformationMessage('LessonL: there is no proposal to summarize.');
      return;
    }
    await this.loadLessons(proposal);
    this.changed.fire(proposal.summaryUri);
    await vscode.commands.executeCommand('markdown.showPreviewToSide', proposal.summaryUri);
  }

  summaryMarkdown(proposal: Proposal): string {
    const { report, summary } = proposal.result;
    const best = report.best;
    const lines = [`### LessonL: \`${report.function ?? report.target}\` ${formatSpeedup(best?.speedup)} faster`, ''];
    if (best) {
      const ci = best.ci95 ? `95% CI ${formatSpeedup(best.ci95[0])}–${formatSpeedup(best.ci95[1])} · ` : '';
      lines.push(`${ci}agent ${best.agent} · round ${best.round + 1} · run ${report.run_id}`, '');
    }
    lines.push(summary, '', verificationLine(report), '');
    const ids = best?.lessons ?? [];
    if (ids.length) {
      lines.push('**Lessons that led to this proposal**', '');
      for (const id of ids) {
        const lesson = proposal.lessons?.find((l) => l.id === id);
        lines.push(
          lesson
            ? `- ${lesson.text.replace(/\s+/g, ' ')} _(${lesson.outcome}${lesson.speedup ? `, ${formatSpeedup(lesson.speedup)}` : ''}; ${id})_`
            : `- lesson ${id}`,
        );
      }
      lines.push('');
    }
    const u = report.usage;
    const cost = typeof u.cost_usd === 'number' ? ` · $${u.cost_usd.toFixed(4)}` : '';
    lines.push(`_${u.input_tokens} tokens in, ${u.output_tokens} out${cost} · ${report.wall_s.toFixed(0)} s_`);
    return lines.join('\n');
  }

  /** Fetches the texts of the lessons behind a proposal once (`lessonl/lessons` has no by-id query). */
  private async loadLessons(proposal: Proposal): Promise<void> {
    const ids = proposal.result.report.best?.lessons ?? [];
    const client = this.server.current;
    if (proposal.lessons || ids.length === 0 || !client) {
      return;
    }
    try {
      const all = await client.sendRequest<LessonRecord[]>(Methods.lessons, { limit: 1000 });
      proposal.lessons = all.filter((l) => ids.includes(l.id));
    } catch (err) {
      this.log.warn(`Could not fetch the lessons behind proposal ${proposal.result.proposalId}: ${String(err)}`);
    }
  }

  private byUri(uri: vscode.Uri): Proposal | undefined {
    if (uri.scheme !== PROPOSAL_SCHEME && uri.scheme !== SUMMARY_SCHEME) {
      return undefined;
    }
    return this.proposals.get(uri.query);
  }

  private async finish(proposal: Proposal, accepted: boolean): Promise<void> {
    this.proposals.delete(proposal.result.proposalId);
    await this.updateContext();
    await this.closeReviewTabs(proposal);
    const params: FeedbackParams = { proposalId: proposal.result.proposalId, accepted };
    const client = this.server.current;
    if (!client) {
      this.log.warn(`The server is not running; feedback for proposal ${params.proposalId} was not sent.`);
      return;
    }
    await client.sendNotification(Methods.feedback, params);
  }

  private async closeReviewTabs(proposal: Proposal): Promise<void> {
    const wanted = new Set([proposal.proposalUri.toString(), proposal.summaryUri.toString()]);
    const tabs = vscode.window.tabGroups.all
      .flatMap((group) => group.tabs)
      .filter((tab) => {
        const input = tab.input;
        if (input instanceof vscode.TabInputTextDiff) {
          return wanted.has(input.modified.toString());
        }
        return input instanceof vscode.TabInputText && wanted.has(input.uri.toString());
      });
    if (tabs.length) {
      await vscode.window.tabGroups.close(tabs);
    }
  }

  private async updateContext(): Promise<void> {
    await vscode.commands.executeCommand('setContext', 'lessonl.hasProposals', this.proposals.size > 0);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
