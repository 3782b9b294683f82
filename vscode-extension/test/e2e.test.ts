/**
 * End to end without VS Code: the bundled extension (dist/extension.js, with the real
 * vscode-languageclient inside) is loaded against the stubbed `vscode` module and talks to the
 * real LessonL server (`python -m lessonl_server`) over stdio. This checks what the unit tests
 * cannot: the launch command and environment, the initialize handshake, that the server's code
 * action arrives rewritten to our review command, and the lessons request.
 *
 * Needs `npm run compile` first (CI does it) and a Python with lessonl installed:
 * $LESSONL_E2E_PYTHON, else the repository's .venv. Without either it is skipped, saying why.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ExtensionApi } from '../src/activate';
import { Commands, LESSONS_VIEW_ID } from '../src/constants';
import type { LessonRecord, OptimizeArgument, OptimizeResult } from '../src/protocol';
import { ApiKeyStore } from '../src/secrets';
import { fakeContext } from './helpers';
import * as vscodeStub from './vscode-stub';
import { CancellationTokenSource, CodeActionTriggerKind, commands, Position, Range, stub, type Uri as UriType, Uri } from './vscode-stub';

const bundle = resolve(__dirname, '..', 'dist', 'extension.js');
const python = process.env.LESSONL_E2E_PYTHON ?? resolve(__dirname, '..', '..', '.venv', 'bin', 'python');

function whyNot(): string | undefined {
  if (!existsSync(bundle)) {
    return 'dist/extension.js is missing (run npm run compile)';
  }
  try {
    execFileSync(python, ['-c', 'import lessonl_server'], { stdio: 'ignore' });
  } catch {
    return `${python} cannot import lessonl_server`;
  }
  return undefined;
}

const skipReason = whyNot();
if (skipReason) {
  console.warn(`e2e skipped: ${skipReason}`);
}

/** Loads the CommonJS bundle with `require('vscode')` answered by the stub. */
function loadBundle(): { activate(c: unknown): ExtensionApi; deactivate(): Promise<void> } {
  // Members the stub lacks become inert callables, for language client features we don't exercise.
  // (`function`, not an arrow: the client's classes extend some of them.)
  const callable = (): any => new Proxy(function inert() {}, inert);
  const inert: ProxyHandler<any> = {
    get: (_t, p) => (p === 'then' || typeof p === 'symbol' ? undefined : callable()),
    apply: () => callable(),
    construct: () => new Proxy({}, inert),
  };
  const lenient = (target: any): any =>
    new Proxy(target, {
      get(t, p) {
        if (p in t) {
          const v = t[p];
          return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) ? lenient(v) : v;
        }
        return p === 'then' || p === '__esModule' || typeof p === 'symbol' ? undefined : callable();
      },
    });
  const M = Module as unknown as { _resolveFilename: (r: string, ...a: unknown[]) => string };
  const original = M._resolveFilename;
  M._resolveFilename = (request, ...rest) => (request === 'vscode' ? 'vscode' : original.call(Module, request, ...rest));
  const req = createRequire(__filename);
  req.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: lenient(vscodeStub) } as NodeJS.Module;
  try {
    delete req.cache[bundle];
    return req(bundle);
  } finally {
    M._resolveFilename = original;
  }
}

const SOURCE = 'def slow(n):\n    return sum(i * i for i in range(n))\n';

/** A temporary project with one Python target; `extra` is more lessonl.toml text. */
function makeProject(extra = ''): string {
  const project = mkdtempSync(join(tmpdir(), 'lessonl-e2e-'));
  writeFileSync(
    join(project, 'lessonl.toml'),
    [
      '[[targets]]',
      'name = "work"',
      'files = ["work.py"]',
      'test = "{python} check.py"',
      'bench = "{python} bench.py"',
      'min_pairs = 3',
      'max_pairs = 6',
      'timing_budget_s = 5',
      'ci_target = 0.5',
      extra,
      '',
    ].join('\n'),
  );
  writeFileSync(join(project, 'work.py'), SOURCE);
  writeFileSync(
    join(project, 'check.py'),
    'from work import slow\nassert [slow(n) for n in range(60)] == [sum(i * i for i in range(n)) for n in range(60)]\n',
  );
  writeFileSync(
    join(project, 'bench.py'),
    'import time\nfrom work import slow\nt = time.perf_counter()\nslow(200000)\nprint(f"LESSONL_TIME_S={time.perf_counter() - t}")\n',
  );
  stub.state.workspaceFolders = [{ uri: Uri.file(project), name: 'p', index: 0 }];
  stub.state.settings.set('lessonl.interpreter', python);
  return project;
}

async function codeActionsAt(line: number, project: string) {
  const doc = stub.openDocument(join(project, 'work.py'), SOURCE, 'python');
  const [{ provider }] = stub.state.codeActionProviders;
  const actions = await provider.provideCodeActions(
    doc,
    new Range(new Position(line, 4), new Position(line, 4)),
    { diagnostics: [], only: undefined, triggerKind: CodeActionTriggerKind.Invoke },
    new CancellationTokenSource().token,
  );
  return { doc, actions };
}

/** An OpenAI-compatible endpoint on loopback that records requests and never answers. */
async function silentModelServer(): Promise<{ url: string; requests: IncomingHttpHeaders[]; close(): Promise<void> }> {
  const requests: IncomingHttpHeaders[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req) => {
    requests.push(req.headers);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => done());
      }),
  };
}

const FAST = 'def slow(n):\n    return (n - 1) * n * (2 * n - 1) // 6\n';
const LESSON = 'Replace the summing loop with the closed form (n-1)n(2n-1)/6.';

/** An OpenAI-compatible endpoint on loopback that answers like a (very good) model would. */
async function answeringModelServer(): Promise<{ url: string; asked: string[]; close(): Promise<void> }> {
  const asked: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const messages: { content: string }[] = JSON.parse(body).messages;
      const prompt = messages.at(-1)?.content ?? '';
      const isLesson = prompt.includes('Why is Code B');
      asked.push(isLesson ? 'lesson' : 'code');
      const content = isLesson ? LESSON : `Here it is:\n\n\`\`\`python\n${FAST}\`\`\`\n`;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          id: `chatcmpl-${asked.length}`,
          object: 'chat.completion',
          created: 0,
          model: 'fake-model',
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
        }),
      );
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    asked,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; log:\n${stub.state.channels[0]?.lines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(skipReason !== undefined)('bundled extension against the real server', () => {
  let ext: ReturnType<typeof loadBundle> | undefined;
  // A timing lock of our own (the server inherits this environment): the machine-wide default
  // would make these tests queue behind any other lessonl run timing code on this machine.
  const timingLock = join(mkdtempSync(join(tmpdir(), 'lessonl-e2e-lock-')), 'timing.lock');
  const savedLock = process.env.LESSONL_TIMING_LOCK;
  beforeAll(() => {
    process.env.LESSONL_TIMING_LOCK = timingLock;
  });
  afterAll(() => {
    if (savedLock === undefined) {
      delete process.env.LESSONL_TIMING_LOCK;
    } else {
      process.env.LESSONL_TIMING_LOCK = savedLock;
    }
  });
  afterEach(async () => {
    await ext?.deactivate();
    ext = undefined;
  });

  it('starts the server, gets the rewritten code action and lists lessons', async () => {
    stub.reset();
    const project = makeProject();
    stub.state.settings.set('lessonl.rounds', 2);
    ext = loadBundle();
    const api = ext.activate(fakeContext());
    await api.server.idle();
    const log = stub.state.channels[0].lines.join('\n');
    expect(api.server.current, log).toBeDefined();

    const { doc, actions } = await codeActionsAt(1, project);
    expect(actions[0].disabled).toBeUndefined();
    expect(actions.map((a: { title: string }) => a.title)).toEqual(['Optimize `slow` with lessons']);
    expect(actions[0].kind.value).toBe('refactor.rewrite');
    expect(actions[0].command.command).toBe(Commands.optimizeWithReview);
    expect(actions[0].command.arguments[0]).toMatchObject({ uri: doc.uri.toString(), version: 1, function: 'slow' });

    const lessons = await api.server.current!.sendRequest<LessonRecord[]>('lessonl/lessons', { limit: 5 });
    expect(lessons).toEqual([]);
    const view = stub.state.treeViews.get(LESSONS_VIEW_ID)!;
    expect(await api.lessons.getChildren()).toEqual([]);
    expect(view.message).toBe('No lessons yet: optimize a function to learn some.');
  }, 60_000);

  it('Cancel stops a real run, and the stored API key reached the server process', async () => {
    stub.reset();
    const model = await silentModelServer();
    try {
      const project = makeProject(
        [
          '[run]',
          'rounds = 1',
          '[[agents]]',
          'name = "silent"',
          'provider = "openai"',
          'model = "silent-model"',
          `base_url = "${model.url}"`,
          'api_key_env = "LESSONL_E2E_KEY"',
          'max_retries = 0',
        ].join('\n'),
      );
      const context = fakeContext();
      await new ApiKeyStore(context.secrets as never).set('LESSONL_E2E_KEY', 'k-e2e-0123');
      ext = loadBundle();
      const api = ext.activate(context);
      await api.server.idle();
      expect(api.server.current, stub.state.channels[0].lines.join('\n')).toBeDefined();

      const { actions } = await codeActionsAt(1, project);
      const command = actions[0].command;
      const running = commands.executeCommand(command.command, ...command.arguments) as Promise<unknown>;
      const argument = command.arguments[0] as OptimizeArgument;
      expect(argument.function).toBe('slow');

      // The run is under way once the agent asks the model (after the baseline was measured).
      await until('the model request', () => model.requests.length > 0);
      expect(model.requests[0].authorization).toBe('Bearer k-e2e-0123');
      const [progress] = stub.state.progress;
      expect(stub.state.statusItems[0].visible).toBe(true);
      progress.source.cancel();
      expect(await running).toBeUndefined();
      expect(stub.state.messages.map((m) => m.text)).toContain('LessonL: optimization of `slow` cancelled.');
      expect(stub.state.statusItems[0].visible).toBe(false);
      expect(stub.state.executed.some((e) => e.id === 'vscode.diff')).toBe(false);
    } finally {
      await model.close();
    }
  }, 90_000);

  it('a real run: progress, the diff review, Accept as the server hunks in one edit, and the new lesson in the view', async () => {
    stub.reset();
    const model = await answeringModelServer();
    try {
      const project = makeProject(
        [
          '[[agents]]',
          'name = "fake"',
          'provider = "openai"',
          'model = "fake-model"',
          `base_url = "${model.url}"`,
          'api_key_env = "LESSONL_E2E_KEY"',
        ].join('\n'),
      );
      // One round, from the editor setting (answered to the server's workspace/configuration).
      stub.state.settings.set('lessonl.rounds', 1);
      const context = fakeContext();
      await new ApiKeyStore(context.secrets as never).set('LESSONL_E2E_KEY', 'k-e2e');
      ext = loadBundle();
      const api = ext.activate(context);
      await api.server.idle();
      const { doc, actions } = await codeActionsAt(1, project);
      const command = actions[0].command;
      const result = await commands.executeCommand(command.command, ...command.arguments);
      const log = stub.state.channels[0].lines.join('\n');
      expect(result, `${JSON.stringify(stub.state.messages)}\n${log}`).toBeDefined();
      expect(model.asked).toEqual(['code', 'lesson']);
      expect(stub.state.progress[0].messages.length).toBeGreaterThan(0);

      const diff = stub.state.executed.find((e) => e.id === 'vscode.diff');
      expect(diff?.args[2]).toMatch(/^work\.py: proposal \d+(\.\d)?x faster \(LessonL\)$/);
      const proposalUri = diff?.args[1] as UriType;
      expect(stub.state.contentProviders.get(proposalUri.scheme)?.provideTextDocumentContent(proposalUri)).toContain(
        '(n - 1) * n * (2 * n - 1) // 6',
      );

      expect(await commands.executeCommand(Commands.acceptProposal, proposalUri)).toBe(true);
      expect(stub.state.appliedEdits).toHaveLength(1);
      // The server's own hunks (the same the lessonl.optimize command applies), in one edit.
      const hunks = (result as OptimizeResult).edits ?? [];
      expect(hunks.length).toBeGreaterThan(0);
      expect(stub.state.appliedEdits[0].edits.map((e) => e.edit.range.start.line)).toEqual(
        hunks.map((h) => h.range.start.line),
      );
      expect(doc.getText()).toContain('(n - 1) * n * (2 * n - 1) // 6');

      const lessons = await api.lessons.getChildren();
      expect(lessons.map((l) => l.text)).toContain(LESSON);
      // The variant was timed under this suite's own lock, not the machine-wide one.
      expect(existsSync(timingLock)).toBe(true);
    } finally {
      await model.close();
    }
  }, 120_000);
});
