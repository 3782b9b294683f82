import { beforeEach, describe, expect, it } from 'vitest';
import { Methods, PROPOSAL_SCHEME, SUMMARY_SCHEME } from '../src/constants';
import { hunkAt, ProposalReview, verificationLine } from '../src/proposals';
import { FakeClient } from './fakeClient';
import { optimizeResult } from './helpers';
import { Position, Range, Selection, stub, TabInputTextDiff, Uri, window } from './vscode-stub';

const ORIGINAL = 'int hist() {\n  return 1;\n}\n';

function setup() {
  stub.reset();
  const client = new FakeClient();
  client.running = true;
  client.handlers.set(Methods.lessons, () => [
    { id: 'L1', text: 'Hoist the bounds check out of the loop.', outcome: 'correct', speedup: 2.1, language: 'cpp' },
    { id: 'L9', text: 'unrelated', outcome: 'correct', speedup: 1.1, language: 'cpp' },
  ]);
  const review = new ProposalReview({ current: client }, window.createOutputChannel('LessonL') as any);
  const doc = stub.openDocument('/proj/src/hist.hpp', ORIGINAL);
  return { client, review, doc };
}

describe('proposal review', () => {
  let ctx: ReturnType<typeof setup>;
  beforeEach(() => {
    ctx = setup();
  });

  it('opens the diff of the file against a read-only proposal document, titled with the speedup', async () => {
    const proposal = await ctx.review.open(optimizeResult());
    const diff = stub.state.executed.find((e) => e.id === 'vscode.diff');
    expect(diff?.args[0]).toEqual(ctx.doc.uri);
    const right = diff?.args[1] as Uri;
    expect(right.scheme).toBe(PROPOSAL_SCHEME);
    expect(right.path).toBe('/proj/src/hist.hpp');
    expect(diff?.args[2]).toBe('hist.hpp: proposal 3.1x faster (LessonL)');
    expect(ctx.review.provideTextDocumentContent(right)).toBe('int hist() { return 2; }\n');
    expect(proposal.proposalUri).toEqual(right);
    expect(stub.state.executed).toContainEqual({ id: 'setContext', args: ['lessonl.hasProposals', true] });
  });

  it('accept without per-hunk edits (an older server) applies one edit over the whole document', async () => {
    const proposal = await ctx.review.open(optimizeResult());
    stub.state.tabs.push({ input: new TabInputTextDiff(ctx.doc.uri, proposal.proposalUri) });
    expect(await ctx.review.accept(proposal.proposalUri)).toBe(true);

    expect(stub.state.appliedEdits).toHaveLength(1);
    const [edit] = stub.state.appliedEdits;
    expect(edit.edits).toHaveLength(1);
    expect(edit.edits[0].edit.range).toEqual(new Range(new Position(0, 0), new Position(3, 0)));
    expect(ctx.doc.getText()).toBe('int hist() { return 2; }\n');
    expect(ctx.doc.version).toBe(2);
    expect(ctx.client.notifications).toEqual([{ method: Methods.feedback, params: { proposalId: 'p-1', accepted: true } }]);
    expect(stub.state.tabs).toHaveLength(0);
    expect(ctx.review.pending).toHaveLength(0);
  });

  it('accept refuses when the document changed since the run began', async () => {
    const proposal = await ctx.review.open(optimizeResult());
    ctx.doc.applyChange(new Range(new Position(1, 9), new Position(1, 10)), '7'); // the user typed
    expect(await ctx.review.accept(proposal.proposalUri)).toBe(false);

    expect(ctx.doc.getText()).toBe('int hist() {\n  return 7;\n}\n');
    expect(stub.state.appliedEdits).toHaveLength(0);
    expect(stub.state.messages).toEqual([
      {
        level: 'warning',
        text: 'LessonL: hist.hpp changed since the run began, so the proposal was not applied; run the optimization again.',
        items: [],
      },
    ]);
    expect(ctx.client.notifications).toHaveLength(0);
    // Still pending: the user can look at it or reject it.
    expect(ctx.review.pending).toHaveLength(1);
  });

  it('reject leaves the file alone and sends feedback', async () => {
    const proposal = await ctx.review.open(optimizeResult());
    stub.state.activeTextEditor = { document: { uri: proposal.proposalUri } as any, selection: undefined as any };
    expect(await ctx.review.reject()).toBe(true);
    expect(ctx.doc.getText()).toBe(ORIGINAL);
    expect(stub.state.appliedEdits).toHaveLength(0);
    expect(ctx.client.notifications).toEqual([{ method: Methods.feedback, params: { proposalId: 'p-1', accepted: false } }]);
    expect(stub.state.executed).toContainEqual({ id: 'setContext', args: ['lessonl.hasProposals', false] });
  });

  it('asks which proposal when several are pending and no editor says', async () => {
    await ctx.review.open(optimizeResult());
    stub.openDocument('/proj/b.py', 'x = 1\n', 'python');
    await ctx.review.open(optimizeResult({ proposalId: 'p-2', uri: 'file:///proj/b.py' }));
    stub.state.answers.push(1);
    expect(await ctx.review.reject()).toBe(true);
    expect(ctx.client.notifications[0].params).toEqual({ proposalId: 'p-2', accepted: false });
  });

  it('summarizes the proposal with the texts of the lessons that led to it', async () => {
    const proposal = await ctx.review.open(optimizeResult());
    const hover = await ctx.review.provideHover({ uri: proposal.proposalUri } as any);
    const text = (hover?.contents[0] as { value: string } | undefined)?.value ?? '';
    expect(text).toContain('`hist` 3.1x faster');
    expect(text).toContain('95% CI 3.0x–3.3x');
    expect(text).toContain('Hoist the bounds check out of the loop. _(correct, 2.1x; L1)_');
    expect(text).toContain('- lesson L2'); // not in the bank any more: its id is still shown
    expect(text).not.toContain('unrelated');

    await ctx.review.showSummary(proposal.proposalUri);
    const preview = stub.state.executed.find((e) => e.id === 'markdown.showPreviewToSide');
    const summaryUri = preview?.args[0] as Uri;
    expect(summaryUri.scheme).toBe(SUMMARY_SCHEME);
    expect(ctx.review.provideTextDocumentContent(summaryUri)).toContain('Hoist the bounds check');
    // One fetch serves the hover and the summary.
    expect(ctx.client.requests.filter((r) => r.method === Methods.lessons)).toHaveLength(1);
  });
});

describe('the review summary', () => {
  it('says how correctness was judged: the report\'s verification when present, else the target\'s test', () => {
    const result = optimizeResult();
    expect(verificationLine(result.report)).toContain("the target's own `test` command");
    const verified = { ...result.report, verification: { summary: 'recorded calls replayed: 12 of 12 equal' } };
    expect(verificationLine(verified)).toBe('**Correctness:** recorded calls replayed: 12 of 12 equal');
    const fields = { ...result.report, verification: { method: 'replay', calls: 3 } };
    expect(verificationLine(fields)).toBe('**Correctness:** method replay · calls 3');
  });

  it('shows the round 1-based, as the progress does (the report field is 0-based)', () => {
    const result = optimizeResult();
    const review = new ProposalReview({ current: undefined }, window.createOutputChannel('t') as any);
    const text = review.summaryMarkdown({ result, fileUri: Uri.parse(result.uri) } as any);
    expect(text).toContain(`round ${(result.report.best?.round ?? 0) + 1} ·`);
    expect(text).toContain('**Correctness:**');
  });

  it('says which clock the speedup was measured by, and why (issue 26)', () => {
    const result = optimizeResult();
    const best = { ...result.report.best!, clock: 'cpu', clock_reason: "the timed region's CPU time" };
    const review = new ProposalReview({ current: undefined }, window.createOutputChannel('t') as any);
    const text = review.summaryMarkdown({
      result: { ...result, report: { ...result.report, best } },
      fileUri: Uri.parse(result.uri),
    } as any);
    expect(text).toContain("Measured by CPU time: the timed region's CPU time.");
    const plain = review.summaryMarkdown({ result, fileUri: Uri.parse(result.uri) } as any);
    expect(plain).not.toContain('Measured by');
  });

  it('says why this variant was chosen over others whose intervals overlap (issue 29)', () => {
    const result = optimizeResult();
    const because = "the smallest change, over beta's 2.01x [1.72, 2.49]";
    const best = { ...result.report.best!, chosen_because: because };
    const review = new ProposalReview({ current: undefined }, window.createOutputChannel('t') as any);
    const text = review.summaryMarkdown({
      result: { ...result, report: { ...result.report, best } },
      fileUri: Uri.parse(result.uri),
    } as any);
    expect(text).toContain(`Chosen: ${because}.`);
    const plain = review.summaryMarkdown({ result, fileUri: Uri.parse(result.uri) } as any);
    expect(plain).not.toContain('Chosen:');
  });
});

/** A proposal with two hunks: lines 1 (b -> B1, B2) and 4 (e -> E) of BASE. */
const BASE = 'a\nb\nc\nd\ne\n';
const NEW = 'a\nB1\nB2\nc\nd\nE\n';
const EDITS = [
  { range: { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } }, newText: 'B1\nB2\n' },
  { range: { start: { line: 4, character: 0 }, end: { line: 5, character: 0 } }, newText: 'E\n' },
];

describe('per-hunk review', () => {
  let ctx: ReturnType<typeof setup>;
  let doc: ReturnType<typeof stub.openDocument>;
  beforeEach(() => {
    ctx = setup();
    doc = stub.openDocument('/proj/k.py', BASE, 'python');
  });
  const open = () => ctx.review.open(optimizeResult({ uri: 'file:///proj/k.py', newText: NEW, edits: EDITS }));
  const cursor = (uri: Uri, line: number) => {
    stub.state.activeTextEditor = {
      document: { uri } as any,
      selection: new Selection(new Position(line, 0), new Position(line, 0)),
    };
  };

  it('finds the hunk at a line of either side of the diff', async () => {
    const proposal = await open();
    expect([0, 1, 2, 3, 4, 5].map((l) => hunkAt(proposal, 'proposal', l))).toEqual([undefined, 0, 0, undefined, undefined, 1]);
    expect([0, 1, 2, 3, 4].map((l) => hunkAt(proposal, 'file', l))).toEqual([undefined, 0, undefined, undefined, 1]);
  });

  it('accepts the change at the cursor only, keeps the rest pending, then accepts the rest: one edit each', async () => {
    const proposal = await open();
    cursor(proposal.proposalUri, 1); // the proposal side, in B1
    expect(await ctx.review.acceptChange()).toBe(true);
    expect(doc.getText()).toBe('a\nB1\nB2\nc\nd\ne\n');
    expect(ctx.review.pending).toHaveLength(1); // still under review, no feedback yet
    expect(ctx.client.notifications).toHaveLength(0);
    // The second hunk moved down a line in the file; the cursor there (file side) finds it.
    expect(hunkAt(proposal, 'file', 5)).toBe(1);
    expect(hunkAt(proposal, 'file', 1)).toBeUndefined(); // accepted: no longer pending

    expect(await ctx.review.accept(proposal.proposalUri)).toBe(true);
    expect(doc.getText()).toBe(NEW);
    expect(stub.state.appliedEdits.map((e) => e.edits.length)).toEqual([1, 1]); // two accepts, two undo steps
    expect(doc.version).toBe(3);
    expect(ctx.client.notifications).toEqual([{ method: Methods.feedback, params: { proposalId: 'p-1', accepted: true } }]);
    expect(ctx.review.pending).toHaveLength(0);
  });

  it('accept applies every hunk in one edit; the hover links the change under the mouse', async () => {
    const proposal = await open();
    const hover = await ctx.review.provideHover({ uri: proposal.proposalUri } as any, new Position(5, 0) as any);
    const md = hover?.contents[0] as unknown as { value: string; isTrusted: unknown };
    expect(md.value).toMatch(/^\[Accept this change\]\(command:lessonl\.acceptChange\?/);
    expect(md.value).toContain('change 2 of 2; 2 pending');
    expect(md.isTrusted).toEqual({ enabledCommands: ['lessonl.acceptChange'] });
    const args = JSON.parse(decodeURIComponent(md.value.split('?')[1].split(')')[0]));
    expect(args).toEqual([{ proposalId: 'p-1', hunk: 1 }]);
    const away = await ctx.review.provideHover({ uri: proposal.proposalUri } as any, new Position(3, 0) as any);
    expect((away?.contents[0] as unknown as { value: string }).value).not.toContain('Accept this change');

    expect(await ctx.review.accept(proposal.proposalUri)).toBe(true);
    expect(doc.getText()).toBe(NEW);
    expect(stub.state.appliedEdits).toHaveLength(1);
    expect(stub.state.appliedEdits[0].edits).toHaveLength(2);
  });

  it('refuses a change after the user edited the file, and Reject after a partial accept counts as accepted', async () => {
    const proposal = await open();
    expect(await ctx.review.acceptChange({ proposalId: 'p-1', hunk: 1 })).toBe(true);
    expect(doc.getText()).toBe('a\nb\nc\nd\nE\n');
    doc.applyChange(new Range(new Position(0, 0), new Position(0, 1)), 'z'); // the user typed
    expect(await ctx.review.acceptChange({ proposalId: 'p-1', hunk: 0 })).toBe(false);
    expect(stub.state.messages.at(-1)?.text).toContain('changed since the run began');
    expect(doc.getText()).toBe('z\nb\nc\nd\nE\n');
    cursor(proposal.proposalUri, 3); // an unchanged line
    expect(await ctx.review.acceptChange()).toBe(false);
    expect(await ctx.review.reject(proposal.proposalUri)).toBe(true);
    expect(ctx.client.notifications).toEqual([{ method: Methods.feedback, params: { proposalId: 'p-1', accepted: true } }]);
  });
});
