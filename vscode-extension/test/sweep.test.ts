import { beforeEach, describe, expect, it } from 'vitest';
import { Methods, SERVER_SWEEP } from '../src/constants';
import { PROGRESS_CANCEL } from '../src/hotspots';
import { ProposalReview } from '../src/proposals';
import type { PastSweep, SweepFunction, SweepResult } from '../src/protocol';
import { runSweep, showPastSweep, type SweepDeps } from '../src/sweep';
import { FakeClient, gate } from './fakeClient';
import { optimizeResult } from './helpers';
import { ProgressLocation, stub, Uri, window } from './vscode-stub';

const FOLDER = Uri.file('/p');

function fn(name: string, overrides: Partial<SweepFunction> = {}): SweepFunction {
  return {
    function: name,
    file: name.split(':')[0],
    share: 0.42,
    best: { speedup: 3.5, ci95: [3.1, 3.9], code: '', diff: '', agent: 'alpha', round: 0 },
    report: '.lessonl/runs/r1/report.json',
    run_id: 'r1',
    verification: 'recorded calls: 12 of 12 match',
    lessons_from_earlier: 0,
    tokens: 900,
    stopped: 'rounds',
    error: null,
    ...overrides,
  };
}

function result(functions: SweepFunction[]): SweepResult {
  return {
    sweepId: 's-1',
    workload: 'python bench.py',
    functions,
    end_to_end: { workload: 'python bench.py', speedup: 2.1, ci95: [1.9, 2.3], tests_passed: 12, tests_failed: 0, note: '' },
    diff: '',
    stopped: 'done',
  };
}

function setup() {
  stub.reset();
  stub.state.workspaceFolders = [{ uri: FOLDER, name: 'p', index: 0 }];
  const client = new FakeClient();
  client.running = true;
  const log = window.createOutputChannel('LessonL') as any;
  const review = new ProposalReview({ current: client }, log);
  const deps: SweepDeps = { client: async () => client, review, log };
  return { client, deps };
}

describe('LessonL: Sweep Hotspots', () => {
  let ctx: ReturnType<typeof setup>;
  beforeEach(() => {
    ctx = setup();
  });

  it('runs lessonl.sweep with progress, lists every function, and opens the chosen one in the review', async () => {
    const swept = result([fn('listkit/dedupe.py:dedupe'), fn('listkit/common.py:common', { share: 0.3, lessons_from_earlier: 1, run_id: 'r2' })]);
    let token = '';
    ctx.client.handlers.set('workspace/executeCommand', async (params: any) => {
      token = params.arguments[0].workDoneToken;
      ctx.client.progress(token, { kind: 'report', message: 'function 1 of 2: listkit/dedupe.py:dedupe', percentage: 0 });
      ctx.client.progress(token, { kind: 'report', message: 'function 2 of 2: listkit/common.py:common', percentage: 50 });
      return swept;
    });
    stub.openDocument('/p/listkit/common.py', 'def common(a, b):\n    pass\n', 'python');
    ctx.client.handlers.set(Methods.sweepProposal, () =>
      optimizeResult({ proposalId: 'r2', uri: Uri.file('/p/listkit/common.py').toString(), baseVersion: 1 }),
    );
    stub.state.answers.push(1); // the second function
    expect(await runSweep(ctx.deps)).toEqual(swept);

    const [run, proposal] = ctx.client.requests;
    expect(run.method).toBe('workspace/executeCommand');
    expect(run.params).toEqual({ command: SERVER_SWEEP, arguments: [{ uri: FOLDER.toString(), workDoneToken: token }] });
    expect(token).toMatch(/^lessonl-sweep-/);
    const progress = stub.state.progress[0];
    expect(progress.options).toMatchObject({ title: 'LessonL: sweeping hotspots', cancellable: true, location: ProgressLocation.Notification });
    expect(progress.messages).toEqual(['function 1 of 2: listkit/dedupe.py:dedupe', 'function 2 of 2: listkit/common.py:common']);
    expect(progress.increment).toBe(50);

    const [summary] = stub.state.quickPicks as { items: any[]; options: any }[];
    expect(summary.options.title).toBe('LessonL sweep: workload `python bench.py` 2.10x faster (95% CI 1.90-2.30), all 12 tests pass');
    expect(summary.items.map((i) => [i.description, i.detail])).toEqual([
      ['42% of the workload · 3.50x [3.10-3.90]', 'recorded calls: 12 of 12 match · 0 lessons from earlier functions'],
      ['30% of the workload · 3.50x [3.10-3.90]', 'recorded calls: 12 of 12 match · 1 lesson from earlier functions'],
    ]);
    expect(proposal.method).toBe(Methods.sweepProposal);
    expect(proposal.params).toEqual({ sweepId: 's-1', function: 'listkit/common.py:common', uri: FOLDER.toString() });
    // The usual review: the diff of the file against the proposal, kept for accept/reject.
    expect(stub.state.executed.find((e) => e.id === 'vscode.diff')).toBeDefined();
    expect(ctx.deps.review.pending.map((p) => p.result.proposalId)).toEqual(['r2']);
  });

  it('Cancel sends window/workDoneProgress/cancel for its token; a cancelled sweep shows no summary', async () => {
    const held = gate();
    let token = '';
    ctx.client.handlers.set('workspace/executeCommand', async (params: any) => {
      token = params.arguments[0].workDoneToken;
      await held.promise;
      return null; // the server answers a cancelled sweep with null (and says so itself)
    });
    const done = runSweep(ctx.deps, { top: 3, minShare: 0.1 });
    await new Promise((resolve) => setTimeout(resolve, 0));
    stub.state.progress[0].source.cancel();
    expect(ctx.client.notifications).toEqual([{ method: PROGRESS_CANCEL, params: { token } }]);
    held.open();
    expect(await done).toBeUndefined();
    expect(ctx.client.requests[0].params.arguments[0]).toMatchObject({ top: 3, minShare: 0.1 });
    expect(stub.state.quickPicks).toEqual([]);
  });

  it('a function with nothing faster is listed but opens no review; a refused proposal is shown in one line', async () => {
    ctx.client.handlers.set('workspace/executeCommand', async () =>
      result([fn('a.py:f', { best: null, error: null, verification: '' }), fn('b.py:g')]),
    );
    ctx.client.handlers.set(Methods.sweepProposal, () => {
      throw new Error('b.py changed since the sweep began, so its proposal for b.py:g no longer fits; sweep again');
    });
    stub.state.answers.push(0);
    await runSweep(ctx.deps);
    const items = (stub.state.quickPicks[0] as { items: any[] }).items;
    expect(items[0].description).toBe('42% of the workload · not faster');
    expect(items[0].detail).toContain('nothing to review');
    expect(ctx.client.requests.map((r) => r.method)).toEqual(['workspace/executeCommand']);
    expect(stub.state.messages.at(-1)?.text).toContain('nothing faster for `a.py:f`');

    stub.state.answers.push(1);
    await runSweep(ctx.deps);
    expect(ctx.client.requests.at(-1)?.method).toBe(Methods.sweepProposal);
    expect(stub.state.messages.at(-1)).toMatchObject({ level: 'error', text: 'LessonL: b.py changed since the sweep began, so its proposal for b.py:g no longer fits; sweep again' });
    expect(ctx.deps.review.pending).toEqual([]);
  });
});

describe('LessonL: Show Past Sweep', () => {
  let ctx: ReturnType<typeof setup>;
  beforeEach(() => {
    ctx = setup();
  });

  const past: PastSweep[] = [
    { sweepId: 's-2', started: '2026-12-07T07:00:00+00:00', workload: 'python bench.py', stopped: 'done', functions: 2, faster: 2, endToEnd: 'workload `python bench.py` 2.10x faster (95% CI 1.90-2.30), all 12 tests pass' },
    { sweepId: 's-1', error: '/p/.lessonl/sweep/s-1.json: cannot read the kept sweep (not a finished sweep)' },
  ];

  it('lists the past sweeps newest first and opens the chosen one\'s summary, a stale function opening no review', async () => {
    const kept = {
      ...result([fn('listkit/dedupe.py:dedupe'), fn('listkit/common.py:common', { run_id: 'r2', stale: 'listkit/common.py changed since the sweep began, so its proposal for listkit/common.py:common no longer fits; sweep again' })]),
      sweepId: 's-2',
    };
    ctx.client.handlers.set(Methods.sweeps, () => past);
    ctx.client.handlers.set(Methods.sweepSummary, () => kept);
    stub.state.answers.push(0, 1); // the newest sweep, then its stale function
    expect(await showPastSweep(ctx.deps)).toEqual(kept);

    expect(ctx.client.requests.map((r) => [r.method, r.params])).toEqual([
      [Methods.sweeps, { uri: FOLDER.toString() }],
      [Methods.sweepSummary, { sweepId: 's-2', uri: FOLDER.toString() }],
    ]);
    const [list, summary] = stub.state.quickPicks as { items: any[]; options: any }[];
    expect(list.items.map((i) => i.label)).toEqual(['$(history) latest · 2026-12-07 07:00:00 UTC · `python bench.py`', '$(error) s-1']);
    expect(list.items[0].description).toBe('2 of 2 functions faster');
    expect(summary.options.title).toBe('LessonL sweep: workload `python bench.py` 2.10x faster (95% CI 1.90-2.30), all 12 tests pass');
    expect(summary.items[1].label).toBe('$(warning) listkit/common.py:common');
    expect(summary.items[1].detail).toBe(`stale: ${kept.functions[1].stale}`);
    // The stale proposal is not offered: no sweepProposal request, one line saying why.
    expect(stub.state.messages.at(-1)).toMatchObject({ level: 'warning', text: `LessonL: ${kept.functions[1].stale}` });
    expect(ctx.deps.review.pending).toEqual([]);
  });

  it('a fresh function of a past sweep opens its review; no kept sweep, or an unreadable one, is one line', async () => {
    ctx.client.handlers.set(Methods.sweeps, () => past);
    ctx.client.handlers.set(Methods.sweepSummary, () => ({ ...result([fn('listkit/common.py:common', { run_id: 'r2', stale: null })]), sweepId: 's-2' }));
    stub.openDocument('/p/listkit/common.py', 'def common(a, b):\n    pass\n', 'python');
    ctx.client.handlers.set(Methods.sweepProposal, () =>
      optimizeResult({ proposalId: 'r2', uri: Uri.file('/p/listkit/common.py').toString(), baseVersion: 1 }),
    );
    stub.state.answers.push(0, 0);
    await showPastSweep(ctx.deps);
    expect(ctx.client.requests.at(-1)?.params).toEqual({ sweepId: 's-2', function: 'listkit/common.py:common', uri: FOLDER.toString() });
    expect(ctx.deps.review.pending.map((p) => p.result.proposalId)).toEqual(['r2']);

    stub.state.answers.push(1);
    expect(await showPastSweep(ctx.deps)).toBeUndefined();
    expect(stub.state.messages.at(-1)).toMatchObject({ level: 'error', text: `LessonL: ${past[1].error}` });

    ctx.client.handlers.set(Methods.sweeps, () => []);
    expect(await showPastSweep(ctx.deps)).toBeUndefined();
    expect(stub.state.messages.at(-1)?.text).toContain('keeps no finished sweep');
  });
});
