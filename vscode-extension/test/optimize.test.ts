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

  it('shows $/progress messages in the notification and the status bar; lessonl/status only refreshes lessons', async () => {
    let token = '';
    let statusText = '';
    ctx.client.handlers.set(Methods.optimize, async (params: OptimizeParams) => {
      token = String(params.workDoneToken);
      expect(ctx.client.progress(token, { kind: 'begin', title: 'LessonL', message: 'starting', percentage: 0 })).toBe(true);
      ctx.client.progress(token, { kind: 'report', message: 'round 1/4 · best none yet · a: correct, 1.10x', percentage: 0 });
      ctx.client.progress(token, { kind: 'report', message: 'round 1/4 done · best 1.80x', percentage: 25 });
      // The same text twice is shown twice (no de-duplication: the server sends each once).
      ctx.client.progress(token, { kind: 'report', message: 'round 1/4 done · best 1.80x', percentage: 25 });
      const event = { kind: 'lesson_added', round: 0, agent: 'a', lesson_id: 'L7', text: 't' };
      ctx.deps.status.handleStatus({ uri: ARG.uri, kind: 'lesson_added', message: 'x', event }, () => lessonEvents++);
      ctx.deps.status.handleStatus({ uri: ARG.uri, kind: 'run_started', message: 'y', event: { kind: 'run_started' } }, () => lessonEvents++);
      statusText = stub.state.statusItems[0].text;
      expect(stub.state.statusItems[0].visible).toBe(true);
      return optimizeResult();
    });
    let lessonEvents = 0;
    await runOptimize(ctx.deps, ARG);
    expect(stub.state.progress[0].messages).toEqual([
      'starting',
      'round 1/4 · best none yet · a: correct, 1.10x',
      'round 1/4 done · best 1.80x',
      'round 1/4 done · best 1.80x',
    ]);
    expect(lessonEvents).toBe(1);
    expect(stub.state.progress[0].increment).toBe(25);
    expect(statusText).toBe('$(sync~spin) LessonL: hist · round 1/4 done · best 1.80x');
    // The run ended: the status bar item hides, nobody listens to the token any more.
    expect(stub.state.statusItems[0].visible).toBe(false);
    expect(ctx.client.progress(token, { kind: 'end' })).toBe(false);
  });

  it('several targets: the code action names them, a quick pick chooses, the request carries `target`', async () => {
    ctx.client.handlers.set(Methods.optimize, () => optimizeResult({ newText: null }));
    stub.state.answers.push(1);
    await runOptimize(ctx.deps, { ...ARG, targets: ['hist', 'hist-avx'] });
    const params = ctx.client.requests[0].params as OptimizeParams & { targets?: unknown };
    expect(params.target).toBe('hist-avx');
    expect(params.targets).toBeUndefined();

    stub.state.answers.push(undefined); // dismissed: nothing runs
    expect(await runOptimize(ctx.deps, { ...ARG, targets: ['hist', 'hist-avx'] })).toBeUndefined();
    expect(ctx.client.requests).toHaveLength(1);
    expect(stub.state.messages.at(-1)?.text).toBe('LessonL: no target chosen, so nothing was run.');
  });

  it('several targets from the palette: the server names them in its error, the pick follows, the run is re-sent once', async () => {
    ctx.client.handlers.set(Methods.optimize, (params: OptimizeParams) => {
      if (!params.target) {
        throw Object.assign(new Error('several targets cover src/hist.hpp (hist, hist-avx); choose the one to use by its name'), {
          code: -32803,
          data: { targets: ['hist', 'hist-avx'] },
        });
      }
      return optimizeResult({ newText: null });
    });
    stub.state.answers.push(0);
    const result = await runOptimize(ctx.deps, ARG);
    expect(result?.newText).toBeNull();
    expect(ctx.client.requests.map((r) => (r.params as OptimizeParams).target)).toEqual([undefined, 'hist']);
    expect(stub.state.messages.filter((m) => m.level === 'error')).toHaveLength(0);
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

  it('a bad setting: the error\'s data.setting offers to open that setting, the prose is shown as it is', async () => {
    ctx.client.handlers.set(Methods.optimize, () => {
      throw Object.assign(new Error('settings: lessonl.rounds: expected an integer >= 1, got 0; fix the setting'), {
        code: -32803,
        data: { setting: 'lessonl.rounds' },
      });
    });
    stub.state.answers.push('Open Settings');
    await runOptimize(ctx.deps, ARG);
    await flush();
    expect(stub.state.messages.at(-1)).toMatchObject({
      level: 'error',
      text: 'LessonL: settings: lessonl.rounds: expected an integer >= 1, got 0; fix the setting',
      items: ['Open Settings'],
    });
    expect(stub.state.executed).toContainEqual({ id: 'workbench.action.openSettings', args: ['lessonl.rounds'] });
  });

  it('the offer comes from data.setting, not the prose: a message that only reads like one offers nothing', async () => {
    ctx.client.handlers.set(Methods.optimize, () => {
      // A project error whose text happens to start like a setting's (a target named "settings").
      throw Object.assign(new Error('settings: lessonl.rounds: no such file; fix the target'), { code: -32803 });
    });
    await runOptimize(ctx.deps, ARG);
    await flush();
    expect(stub.state.messages.at(-1)).toMatchObject({ level: 'error', text: 'LessonL: settings: lessonl.rounds: no such file; fix the target' });
    expect(stub.state.messages.at(-1)?.items ?? []).toEqual([]);

    // A whole malformed section names `lessonl`; anything not ours is not opened.
    for (const [setting, offered] of [['lessonl', true], ['editor.fontSize', false]] as const) {
      stub.state.executed.length = 0;
      ctx.client.handlers.set(Methods.optimize, () => {
        throw Object.assign(new Error('initializationOptions: expected an object of lessonl settings, got 3'), {
          code: -32803,
          data: { setting },
        });
      });
      stub.state.answers.push('Open Settings');
      await runOptimize(ctx.deps, ARG);
      await flush();
      const opened = stub.state.executed.filter((e) => e.id === 'workbench.action.openSettings');
      expect(opened).toEqual(offered ? [{ id: 'workbench.action.openSettings', args: [setting] }] : []);
    }
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
