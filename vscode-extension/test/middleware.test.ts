import { beforeEach, describe, expect, it } from 'vitest';
import { Commands } from '../src/constants';
import { createMiddleware, rewriteActions } from '../src/middleware';
import { CancellationTokenSource, stub } from './vscode-stub';

const ARG = { uri: 'file:///p/a.cpp', version: 3, function: 'hist', range: { start: { line: 1, character: 0 }, end: { line: 9, character: 1 } } };

describe('code action middleware', () => {
  beforeEach(() => stub.reset());

  it("rewrites the server's lessonl.optimize to the client command, keeping title and argument", async () => {
    const serverAction = {
      title: 'Optimize `hist` with lessons',
      kind: { value: 'refactor.rewrite' },
      command: { title: 'Optimize `hist` with lessons', command: Commands.serverOptimize, arguments: [ARG] },
    };
    const other = { title: 'Set up LessonL', command: { title: 'x', command: 'lessonl.setup', arguments: [{ uri: ARG.uri }] } };
    const bare = { title: 'Optimize', command: Commands.serverOptimize, arguments: [ARG] };
    const middleware = createMiddleware();
    const token = new CancellationTokenSource().token;
    const result = (await middleware.provideCodeActions!(
      {} as any,
      {} as any,
      {} as any,
      token as any,
      async () => [serverAction, other, bare] as any,
    )) as any[];
    expect(result[0].command).toEqual({ title: 'Optimize `hist` with lessons', command: Commands.optimizeWithReview, arguments: [ARG] });
    expect(result[0].title).toBe('Optimize `hist` with lessons');
    expect(result[1].command.command).toBe('lessonl.setup');
    expect(result[2]).toEqual({ title: 'Optimize', command: Commands.optimizeWithReview, arguments: [ARG] });
    expect(rewriteActions(undefined)).toBeUndefined();
  });

  it('answers workspace/configuration for section lessonl with the run settings', async () => {
    stub.state.settings.set('lessonl.rounds', 2);
    stub.state.settings.set('lessonl.maxWallSeconds', 600);
    stub.state.settings.set('lessonl.interpreter', '/x/python');
    const middleware = createMiddleware();
    const result = await middleware.workspace!.configuration!(
      { items: [{ section: 'lessonl', scopeUri: 'file:///p/a.cpp' }, { section: 'editor' }] },
      new CancellationTokenSource().token as any,
      () => [{ whatever: 1 }, { tabSize: 4 }],
    );
    expect(result).toEqual([{ rounds: 2, maxWallSeconds: 600 }, { tabSize: 4 }]);
  });
});
