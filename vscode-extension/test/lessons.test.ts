import { beforeEach, describe, expect, it } from 'vitest';
import { Methods } from '../src/constants';
import { LessonsProvider } from '../src/lessonsView';
import type { LessonRecord } from '../src/protocol';
import { FakeClient } from './fakeClient';
import { stub, window } from './vscode-stub';

function lesson(id: string, text: string, extra: Partial<LessonRecord> = {}): LessonRecord {
  return {
    id,
    text,
    outcome: 'correct',
    speedup: 2.5,
    language: 'cpp',
    target: 'histogram',
    function: 'hist',
    agent: 'qwen7b',
    run_id: 'r1',
    round: 1,
    factor: 1,
    uses: 3,
    created: '2026-11-24T18:00:00Z',
    ...extra,
  };
}

function setup() {
  stub.reset();
  const bank = [lesson('L1', 'Use a local array\nthen merge.'), lesson('L2', 'Avoid pow()', { outcome: 'incorrect', speedup: null })];
  const client = new FakeClient();
  client.running = true;
  client.handlers.set(Methods.lessons, (params: { query?: string }) =>
    params.query ? bank.filter((l) => l.text.includes(params.query!)) : bank,
  );
  client.handlers.set(Methods.forget, (params: { id: string }) => {
    const i = bank.findIndex((l) => l.id === params.id);
    if (i >= 0) {
      bank.splice(i, 1);
    }
    return { forgotten: i >= 0 };
  });
  const source = { current: client as FakeClient | undefined };
  const provider = new LessonsProvider(source, window.createOutputChannel('LessonL') as any);
  const view = window.createTreeView('lessonl.lessons', { treeDataProvider: provider });
  provider.attach(view as any);
  let refreshed = 0;
  provider.onDidChangeTreeData(() => refreshed++);
  return { client, provider, view, source, refreshed: () => refreshed };
}

describe('lessons view', () => {
  let ctx: ReturnType<typeof setup>;
  beforeEach(() => {
    ctx = setup();
  });

  it('lists the bank with text, outcome, speedup and language', async () => {
    const items = await ctx.provider.getChildren();
    expect(items.map((l) => l.id)).toEqual(['L1', 'L2']);
    const first = ctx.provider.getTreeItem(items[0]);
    expect(first.label).toBe('Use a local array');
    expect(first.description).toBe('correct · 2.5x · cpp');
    expect((first.tooltip as any).value).toContain('then merge');
    // The record's round 1 (0-based on the wire) reads as round 2, as in the progress.
    expect((first.tooltip as any).value).toContain('round 2 ·');
    expect(first.contextValue).toBe('lesson');
    expect(ctx.provider.getTreeItem(items[1]).description).toBe('incorrect · cpp');
    expect(ctx.client.requests[0].params).toEqual({ limit: 200 });
  });

  it('search sends the query and shows it on the view', async () => {
    stub.state.answers.push('pow');
    await ctx.provider.search();
    expect(ctx.view.description).toBe('“pow”');
    expect(ctx.refreshed()).toBe(1);
    expect((await ctx.provider.getChildren()).map((l) => l.id)).toEqual(['L2']);
    expect(ctx.client.requests.at(-1)?.params).toEqual({ limit: 200, query: 'pow' });
    stub.state.answers.push('nothing-like-this');
    await ctx.provider.search();
    expect(await ctx.provider.getChildren()).toEqual([]);
    expect(ctx.view.message).toBe('No lesson matches “nothing-like-this”.');
  });

  it('forget asks, sends lessonl/forget and refreshes', async () => {
    const [first] = await ctx.provider.getChildren();
    stub.state.answers.push(undefined); // the user closes the confirmation
    expect(await ctx.provider.forget(first)).toBe(false);
    expect(ctx.client.requests.some((r) => r.method === Methods.forget)).toBe(false);

    stub.state.answers.push('Forget');
    expect(await ctx.provider.forget(first)).toBe(true);
    expect(ctx.client.requests.at(-1)).toMatchObject({ method: Methods.forget, params: { id: 'L1' } });
    expect((await ctx.provider.getChildren()).map((l) => l.id)).toEqual(['L2']);
  });

  it('says so when the server is not running or the request fails', async () => {
    ctx.source.current = undefined;
    expect(await ctx.provider.getChildren()).toEqual([]);
    expect(ctx.view.message).toBe('The LessonL server is not running.');
    ctx.source.current = ctx.client;
    ctx.client.handlers.set(Methods.lessons, () => {
      throw new Error('lessonl.toml: [run] rounds must be >= 1');
    });
    expect(await ctx.provider.getChildren()).toEqual([]);
    expect(ctx.view.message).toBe('Could not list lessons: lessonl.toml: [run] rounds must be >= 1');
  });
});
