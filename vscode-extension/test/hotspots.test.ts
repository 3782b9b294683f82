import { beforeEach, describe, expect, it } from 'vitest';
import { Commands } from '../src/constants';
import { PROGRESS_CANCEL } from '../src/hotspots';
import { createMiddleware } from '../src/middleware';
import { FakeClient } from './fakeClient';
import { CancellationTokenSource, ProgressLocation, stub, Uri } from './vscode-stub';

const ARG = { uri: 'file:///p/shop/prices.py', version: 4, function: 'total_with_tax' };

describe('hotspot lenses', () => {
  beforeEach(() => stub.reset());

  it("rewrites an optimizable lens's lessonl.optimize to the reviewed run and leaves plain lenses alone", async () => {
    const hot = { range: {}, command: { title: 'LessonL: 92% of test time · Optimize', command: Commands.serverOptimize, arguments: [ARG] } };
    const generator = { range: {}, command: { title: 'LessonL: 40% of test time · not optimizable: a generator', command: '' } };
    const result = (await createMiddleware().provideCodeLenses!(
      {} as any,
      new CancellationTokenSource().token as any,
      async () => [hot, generator] as any,
    )) as any[];
    expect(result[0].command).toEqual({ title: 'LessonL: 92% of test time · Optimize', command: Commands.optimizeWithReview, arguments: [ARG] });
    expect(result[1].command).toEqual({ title: 'LessonL: 40% of test time · not optimizable: a generator', command: '' });
    expect(await createMiddleware().provideCodeLenses!({} as any, {} as any, async () => null)).toBeNull();
  });
});

describe('LessonL: Find Hotspots', () => {
  beforeEach(() => stub.reset());

  function run(client: FakeClient, args: unknown[]): { sent: unknown[][]; done: Promise<unknown>; release: (v: unknown) => void } {
    const sent: unknown[][] = [];
    let release: (v: unknown) => void = () => {};
    const answer = new Promise((resolve) => (release = resolve));
    const done = Promise.resolve(
      createMiddleware(() => client).executeCommand!(Commands.serverFindHotspots, args, async (command, withToken) => {
        expect(command).toBe(Commands.serverFindHotspots);
        sent.push(withToken);
        return answer;
      }),
    );
    return { sent, done, release };
  }

  it('from the palette: profiles the active file\'s project with progress in a notification', async () => {
    stub.showEditor(stub.openDocument('/p/shop/prices.py', 'def f():\n    pass\n', 'python'));
    const client = new FakeClient();
    const { sent, done, release } = run(client, []);
    await Promise.resolve();
    expect(sent).toHaveLength(1);
    const [argument] = sent[0] as [{ uri: string; workDoneToken: string }];
    expect(argument.uri).toBe(Uri.file('/p/shop/prices.py').toString());
    expect(argument.workDoneToken).toMatch(/^lessonl-hotspots-/);
    const record = stub.state.progress[0];
    expect(record.options).toMatchObject({ title: 'LessonL: finding hotspots', cancellable: true, location: ProgressLocation.Notification });

    client.progress(argument.workDoneToken, { kind: 'begin', title: 'LessonL: finding hotspots', message: 'profiling `python -m pytest`' });
    expect(record.messages).toEqual(['profiling `python -m pytest`']);
    release({ functions: 3 });
    expect(await done).toEqual({ functions: 3 });
    expect(record.done).toBe(true);
    expect(client.notifications).toEqual([]);
  });

  it("Cancel sends window/workDoneProgress/cancel for the command's token; a given uri and workload are kept", async () => {
    stub.state.workspaceFolders = [{ uri: Uri.file('/p'), name: 'p', index: 0 }];
    const client = new FakeClient();
    const { sent, done, release } = run(client, [{ uri: 'file:///q', command: ['python', 'bench.py'] }]);
    await Promise.resolve();
    const [argument] = sent[0] as [{ uri: string; command: string[]; workDoneToken: string }];
    expect(argument).toMatchObject({ uri: 'file:///q', command: ['python', 'bench.py'] });
    stub.state.progress[0].source.cancel();
    expect(client.notifications).toEqual([{ method: PROGRESS_CANCEL, params: { token: argument.workDoneToken } }]);
    release(null);
    expect(await done).toBeNull();
  });

  it('other server commands pass through untouched', async () => {
    const calls: unknown[] = [];
    const result = await createMiddleware(() => new FakeClient()).executeCommand!('lessonl.setup', [{ uri: 'file:///a.py' }], async (command, args) => {
      calls.push([command, args]);
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(calls).toEqual([['lessonl.setup', [{ uri: 'file:///a.py' }]]]);
    expect(stub.state.progress).toEqual([]);
  });
});
