/**
 * Review of a proposal: the file against a read-only virtual document holding the proposal
 * (scheme `lessonl-proposal`) in the built-in diff editor, with Accept, Accept Change at
 * Cursor, Reject and Summary in the editor title.
 *
 * One policy for applying a proposal, the server's: per hunk. The result's `edits` are the
 * proposal's hunks against the text the run started from (the same ones the server's own
 * command applies), so folds, breakpoints and cursors outside them survive. Accept applies
 * every pending hunk as one WorkspaceEdit, Accept Change at Cursor only the hunk under the
 * cursor (either side of the diff, or the hover's link), keeping the others pending: each
 * accept is one undo step, and the file changes only on an accept. An accept is refused when
 * the document changed since the run began, or since the review's own last accept (the hunks
 * were measured against that exact text). Accept and Reject both tell the server, which uses
 * the answer to weigh the lessons behind the proposal: a proposal counts as accepted when any
 * of its hunks went into the file.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Commands, Methods, PROPOSAL_SCHEME, SUMMARY_SCHEME } from './constants';
import type { FeedbackParams, LessonRecord, LspTextEdit, OptimizeReport, OptimizeResult } from './protocol';
import type { LspClient } from './server';

/** One hunk of a proposal: an LSP edit against the text the run started from. */
export interface Hunk {
  edit: LspTextEdit;
  accepted: boolean;
}

export interface Proposal {
  result: OptimizeResult;
  fileUri: vscode.Uri;
  proposalUri: vscode.Uri;
  summaryUri: vscode.Uri;
  hunks: Hunk[];
  /** The document version the pending hunks apply to: the run's, then after each accept. */
  expectedVersion: number;
  lessons?: LessonRecord[];
}

function newlines(text: string): number {
  return text.split('\n').length - 1;
}

/** Lines a hunk adds (negative: removes) below itself once applied. */
function lineDelta(edit: LspTextEdit): number {
  return newlines(edit.newText) - (edit.range.end.line - edit.range.start.line);
}

/** `edit` moved down by `shift` lines (hunks after an applied one, which are whole lines). */
function shifted(edit: LspTextEdit, shift: number): LspTextEdit {
  const { start, end } = edit.range;
  return {
    newText: edit.newText,
    range: {
      start: { line: start.line + shift, character: start.character },
      end: { line: end.line + shift, character: end.character },
    },
  };
}

/** Where a hunk is now in the file: its range shifted by the accepted hunks above it. */
export function currentEdit(proposal: Proposal, index: number): LspTextEdit {
  const shift = proposal.hunks
    .slice(0, index)
    .filter((h) => h.accepted)
    .reduce((sum, h) => sum + lineDelta(h.edit), 0);
  return shifted(proposal.hunks[index].edit, shift);
}

/** Whether 0-based `line` touches the span [start, end) (an empty span: the lines beside it). */
function touches(line: number, start: number, end: number): boolean {
  return start === end ? line === start || line === start - 1 : start <= line && line < end;
}

/**
 * The pending hunk at `line` of the proposal document (`side` 'proposal') or of the file as it
 * is now (`side` 'file'), else undefined.
 */
export function hunkAt(proposal: Proposal, side: 'proposal' | 'file', line: number): number | undefined {
  let proposalShift = 0;
  const found: number[] = [];
  proposal.hunks.forEach((hunk, i) => {
    const { start, end } = hunk.edit.range;
    if (!hunk.accepted) {
      const [from, to] =
        side === 'proposal'
          ? [start.line + proposalShift, start.line + proposalShift + newlines(hunk.edit.newText) + (hunk.edit.newText && !hunk.edit.newText.endsWith('\n') ? 1 : 0)]
          : [currentEdit(proposal, i).range.start.line, currentEdit(proposal, i).range.end.line + (end.character > 0 ? 1 : 0)];
      if (touches(line, from, to)) {
        found.push(i);
      }
    }
    proposalShift += lineDelta(hunk.edit);
  });
  // A span's own lines win over an empty span's neighbour line.
  return found.find((i) => {
    const e = proposal.hunks[i].edit;
    return side === 'proposal' ? e.newText !== '' : e.range.start.line !== e.range.end.line;
  }) ?? found[0];
}

/** Where the review gets its server connection (the ServerManager in the extension). */
export interface ClientSource {
  readonly current: LspClient | undefined;
}

/** How a report's `clock` is named (the CLI's words, lessonl/harness/measure.py). */
export function clockWords(clock: string): string {
  if (clock === 'cpu') {
    return 'CPU time';
  }
  return clock === 'scaled' ? 'wall time scaled by the CPU share' : "the bench's figures";
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
      hunks: (result.edits ?? []).map((edit) => ({ edit, accepted: false })),
      expectedVersion: result.baseVersion,
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

  async provideHover(document: vscode.TextDocument, position?: vscode.Position): Promise<vscode.Hover | undefined> {
    const proposal = this.proposals.get(document.uri.query);
    if (!proposal) {
      return undefined;
    }
    await this.loadLessons(proposal);
    const hunk = position ? hunkAt(proposal, 'proposal', position.line) : undefined;
    let text = this.summaryMarkdown(proposal);
    if (hunk !== undefined) {
      const args = encodeURIComponent(JSON.stringify([{ proposalId: proposal.result.proposalId, hunk }]));
      const pending = proposal.hunks.filter((h) => !h.accepted).length;
      text = `[Accept this change](command:${Commands.acceptChange}?${args}) _(change ${hunk + 1} of ${proposal.hunks.length}; ${pending} pending)_\n\n${text}`;
    }
    const md = new vscode.MarkdownString(text);
    md.isTrusted = { enabledCommands: [Commands.acceptChange] };
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

  /** Applies every pending hunk as one edit (one undo step). False (with a message) if refused. */
  async accept(target?: unknown): Promise<boolean> {
    const proposal = await this.resolve(target);
    if (!proposal) {
      void vscode.window.showInformationMessage('LessonL: there is no proposal to accept.');
      return false;
    }
    const pending = proposal.hunks.map((h, i) => (h.accepted ? -1 : i)).filter((i) => i >= 0);
    return this.applyHunks(proposal, pending);
  }

  /**
   * Applies one hunk: `target` `{proposalId, hunk}` (the hover's link), else the pending hunk
   * at the cursor of the active editor, on either side of the diff. The others stay pending.
   */
  async acceptChange(target?: unknown): Promise<boolean> {
    let proposal: Proposal | undefined;
    let index: number | undefined;
    if (typeof target === 'object' && target !== null && 'proposalId' in target) {
      const t = target as { proposalId: unknown; hunk: unknown };
      proposal = this.proposals.get(String(t.proposalId));
      index = typeof t.hunk === 'number' ? t.hunk : undefined;
    } else {
      const editor = vscode.window.activeTextEditor;
      const uri = editor?.document.uri;
      proposal = uri ? (this.byUri(uri) ?? this.pending.find((p) => p.fileUri.toString() === uri.toString())) : undefined;
      if (proposal && editor) {
        const side = editor.document.uri.scheme === PROPOSAL_SCHEME ? 'proposal' : 'file';
        index = hunkAt(proposal, side, editor.selection.active.line);
      }
    }
    if (!proposal) {
      void vscode.window.showInformationMessage('LessonL: put the cursor in a change of a LessonL proposal to accept it.');
      return false;
    }
    if (index === undefined || !proposal.hunks[index] || proposal.hunks[index].accepted) {
      void vscode.window.showInformationMessage('LessonL: the cursor is not in a pending change of this proposal.');
      return false;
    }
    return this.applyHunks(proposal, [index]);
  }

  /** Applies hunks `indices` of `proposal` to its file in one WorkspaceEdit. */
  private async applyHunks(proposal: Proposal, indices: number[]): Promise<boolean> {
    const { result, fileUri } = proposal;
    const document = await vscode.workspace.openTextDocument(fileUri);
    const name = path.posix.basename(fileUri.path);
    if (document.version !== proposal.expectedVersion) {
      void vscode.window.showWarningMessage(
        `LessonL: ${name} changed since the run began, so the proposal was not applied; run the optimization again.`,
      );
      return false;
    }
    const edit = new vscode.WorkspaceEdit();
    if (proposal.hunks.length === 0) {
      // A server without `edits` (older than per-hunk review): the whole text, still one step.
      const whole = new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length));
      edit.replace(fileUri, whole, result.newText ?? document.getText());
    }
    for (const i of indices) {
      const { range, newText } = currentEdit(proposal, i);
      const r = new vscode.Range(
        new vscode.Position(range.start.line, range.start.character),
        new vscode.Position(range.end.line, range.end.character),
      );
      edit.replace(fileUri, r, newText);
    }
    if (!(await vscode.workspace.applyEdit(edit))) {
      void vscode.window.showErrorMessage(`LessonL: VS Code did not apply the proposal to ${name}; the file is unchanged.`);
      return false;
    }
    for (const i of indices) {
      proposal.hunks[i].accepted = true;
    }
    proposal.expectedVersion = document.version;
    if (proposal.hunks.every((h) => h.accepted)) {
      await this.finish(proposal, true);
      await vscode.window.showTextDocument(document);
    }
    return true;
  }

  /** Discards the proposal. */
  async reject(target?: unknown): Promise<boolean> {
    const proposal = await this.resolve(target);
    if (!proposal) {
      void vscode.window.showInformationMessage('LessonL: there is no proposal to reject.');
      return false;
    }
    await this.finish(proposal, proposal.hunks.some((h) => h.accepted));
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
      if (best.clock) {
        const reason = best.clock_reason ? `: ${best.clock_reason}` : '';
        lines.push(`Measured by ${clockWords(best.clock)}${reason}.`, '');
      }
      if (best.chosen_because) {
        lines.push(`Chosen: ${best.chosen_because}.`, '');
      }
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
