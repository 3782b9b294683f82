import { beforeEach, describe, expect, it } from 'vitest';
import { Methods, PROPOSAL_SCHEME, SUMMARY_SCHEME } from '../src/constants';
import { ProposalReview, verificationLine } from '../src/proposals';
import { FakeClient } from './fakeClient';
import { optimizeResult } from './helpers';
import { Position, Range, stub, TabInputTextDiff, Uri, window } from './vscode-stub';

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

  it('accept applies one edit over the whole document, sends feedback and closes the review', async () => {
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
});
