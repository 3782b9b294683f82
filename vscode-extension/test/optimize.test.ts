import { beforeEach, describe, expect, it } from 'vitest';
import { Methods, REQUEST_CANCELLED } from '../src/constants';
import { runOptimize, type OptimizeDeps } from '../src/optimize';
import { RunStatus } from '../src/progress';
import type { OptimizeParams } from '../src/protocol';
import { ProposalReview } from '../src/proposals';
import { FakeClient } from './fakeClient';
import { flush, optimizeResult } from './helpers';
import { Position, Selection, stub, window } from './vscode-stub';

function setup() {
  stub.reset();
  const client = new FakeClient();
  client.running = true;
  const log = window.createOutputChannel('LessonL') as any;
  const status = new RunStatus();
  const review = new ProposalReview({ current: client }, log);
  let lessonsChanged = 0;
  const deps: OptimizeDeps = {
    client: async () => client,
    status,
    review,
    lessonsChanged: () => lessonsChanged++,
    log,
  };
  stub.openDocument('/proj/src/hist.hpp', 'int hist() { return 1; }\n');
  return { client, deps, status, lessons: () => lessonsChanged };
}

const ARG = {
  uri: 'file:///proj/src/hist.hpp',
  version: 1,
  function: 'hist',
  range: { start: { line: 0, character: 0 }, end: { line: 0, character: 24 } },
};

describe('optimize', () => {
  let ctx: ReturnType<typeof setup>;
  beforeEach(() => {
    ctx = setup();
  });

  it('sends lessonl/optimize with the action argument and a workDoneToken, under a cancellable notification', async () => {
    ctx.client.handlers.set(Methods.optimize, () => optimizeResult());
    await runOptimize(ctx.deps, ARG);
    const [request] = ctx.client.requests;
    expect(request.method).toBe(Methods.optimize);
    const params = request.params as OptimizeParams;
    expect(params).toMatchObject(ARG);
    expect(String(params.workDoneToken)).toMatch(/^lessonl-optimize-/);
    expect(stub.state.progress[0].options).toMatchObject({ cancellable: true, title: 'LessonL: optimizing `hist`' });
    // The review opened and the lessons view was told new lessons exist.
    expect(stub.state.executed.find((e) => e.id === 'vscode.diff')).toBeDefined();
    expect(ctx.lessons()).toBe(1);
  });

  it('shows $/progress and lessonl/status messages in the notification and the status bar', async () => {
    let token = '';
    let statusText = '';
    ctx.client.handlers.set(Methods.optimize, async (params: OptimizeParams) => {
      token = String(params.workDoneToken);
      expect(ctx.client.progress(token, { kind: 'begin', title: 'LessonL', message: 'starting', percentage: 0 })).toBe(true);
      ctx.client.progress(token, { kind: 'report', message: 'round 1/4 · best none yet · agent a: correct', percentage: 25 });
      ctx.deps.status.handleStatus({
        uri: ARG.uri,
        kind: 'round_finished',
        message: 'round 2/4 · best 1.80x · done',
        round: 2,
        bestSpeedup: 1.8,
        rounds: 4,
        event: { kind: 'round_finished', round: 1, rounds: 4, best_speedup: 1.8 },
      });
      statusText = stub.state.statusItems[0].text;
      expect(stub.state.statusItems[0].visible).toBe(true);
      return optimizeResult();
    });
    await runOptimize(ctx.deps, ARG);
    expect(stub.state.progress[0].messages).toEqual([
      'round 1/4 · best none yet · agent a: correct',
      'round 2/4 · best 1.80x · done',
    ]);
    expect(stub.state.progress[0].increment).toBe(25);
    expect(statusText).toBe('$(sync~spin) LessonL: hist · round 2/4 · best 1.80x · done');
    // The run ended: the status bar item hides, nobody listens to the token any more.
    expect(stub.state.statusItems[0].visible).toBe(false);
    expect(ctx.client.progress(token, { kind: 'end' })).toBe(false);
  });

  it('Cancel cancels the request: the progress token reaches sendRequest', async () => {
    ctx.client.handlers.set(
      Methods.optimize,
      (_params, token) =>
        new Promise((_resolve, reject) => {
          // What the language client does: $/cancelRequest, then the server answers RequestCancelled.
          token?.onCancellationRequested(() =>
            reject(Object.assign(new Error('cancelled'), { code: REQUEST_CANCELLED })),
          );
        }),
    );
    const running = runOptimize(ctx.deps, ARG);
    await flush();
    const record = stub.state.progress[0];
    expect(ctx.client.requests[0].token).toBe(record.source.token);
    expect(ctx.client.requests[0].token?.isCancellationRequested).toBe(false);
    record.source.cancel();
    expect(await running).toBeUndefined();
    expect(ctx.client.requests[0].token?.isCancellationRequested).toBe(true);
    expect(stub.state.messages.map((m) => m.text)).toEqual(['LessonL: optimization of `hist` cancelled.']);
    expect(stub.state.executed.find((e) => e.id === 'vscode.diff')).toBeUndefined();
  });

  it('shows the summary when nothing faster was found, and the error line when the run failed', async () => {
    ctx.client.handlers.set(Methods.optimize, () =>
      optimizeResult({ newText: null, summary: 'hist: no correct variant was faster' }),
    );
    await runOptimize(ctx.deps, ARG);
    expect(stub.state.messages.at(-1)).toMatchObject({ level: 'info', text: 'LessonL: hist: no correct variant was faster' });
    expect(stub.state.executed.find((e) => e.id === 'vscode.diff')).toBeUndefined();

    ctx.client.handlers.set(Methods.optimize, () => {
      throw Object.assign(new Error('no target in lessonl.toml lists src/hist.hpp; add one'), { code: -32803 });
    });
    await runOptimize(ctx.deps, ARG);
    expect(stub.state.messages.at(-1)).toMatchObject({
      level: 'error',
      text: 'LessonL: no target in lessonl.toml lists src/hist.hpp; add one',
    });
  });

  it('from the command palette, optimizes at the cursor of the active editor', async () => {
    const doc = stub.openDocument('/proj/a.py', 'def f():\n    pass\n', 'python');
    doc.version = 7;
    stub.state.activeTextEditor = { document: doc, selection: new Selection(new Position(1, 2), new Position(1, 2)) };
    ctx.client.handlers.set(Methods.optimize, () => optimizeResult({ newText: null }));
    await runOptimize(ctx.deps);
    expect(ctx.client.requests[0].params).toMatchObject({
      uri: 'file:///proj/a.py',
      version: 7,
      range: { start: { line: 1, character: 2 }, end: { line: 1, character: 2 } },
    });
  });
});
