import { beforeEach, describe, expect, it } from 'vitest';
import type { InstallCheck } from '../src/interpreter';
import { ServerManager, type ServerManagerDeps } from '../src/server';
import { FakeClient, gate } from './fakeClient';
import { flush } from './helpers';
import { stub, window } from './vscode-stub';

function manager(overrides: Partial<ServerManagerDeps> = {}) {
  const clients: FakeClient[] = [];
  const events: string[] = [];
  const notInstalled: InstallCheck[] = [];
  const deps: ServerManagerDeps = {
    resolveInterpreter: async () => ({ path: 'python3', source: 'default' }),
    serverEnvironment: async () => ({ PATH: '/usr/bin' }),
    checkInstalled: async () => ({ ok: true }),
    reportNotInstalled: (_i, check) => notInstalled.push(check),
    initializationOptions: () => ({}),
    workspaceFolder: () => '/proj',
    createClient: () => {
      const c = new FakeClient(`c${clients.length}`);
      const start = c.start.bind(c);
      const stop = c.stop.bind(c);
      c.start = async () => {
        events.push(`start ${c.label}`);
        await start();
        events.push(`started ${c.label}`);
      };
      c.stop = async () => {
        events.push(`stop ${c.label}`);
        await stop();
        events.push(`stopped ${c.label}`);
      };
      clients.push(c);
      return c;
    },
    log: window.createOutputChannel('LessonL') as any,
    ...overrides,
  };
  return { server: new ServerManager(deps), clients, events, notInstalled };
}

/** How many clients run at once at worst, sampled at each step. */
function running(clients: FakeClient[]): number {
  return clients.filter((c) => c.isRunning()).length;
}

describe('ServerManager', () => {
  beforeEach(() => stub.reset());

  it('serializes concurrent restarts: the old server stops before the next starts', async () => {
    const { server, clients, events } = manager();
    await server.start();
    const slowStop = gate();
    clients[0].stopGate = slowStop.promise;

    const a = server.restart();
    await flush();
    // a has begun and waits for c0 to stop; b and c, asked meanwhile, share one queued restart.
    const b = server.restart();
    const c = server.restart();
    expect(b).toBe(c);
    expect(b).not.toBe(a);
    await flush();
    expect(clients).toHaveLength(1);
    slowStop.open();
    const results = await Promise.all([a, b, c]);

    expect(clients).toHaveLength(3);
    expect(results[0]).toBe(clients[1]);
    expect(results[1]).toBe(clients[2]);
    expect(running(clients)).toBe(1);
    expect(server.current).toBe(clients[2]);
    expect(events).toEqual([
      'start c0',
      'started c0',
      'stop c0',
      'stopped c0',
      'start c1',
      'started c1',
      'stop c1',
      'stopped c1',
      'start c2',
      'started c2',
    ]);
  });

  it('never runs two servers while a start is still in progress', async () => {
    const slowStart = gate();
    const clients: FakeClient[] = [];
    const { server } = manager({
      createClient: () => {
        const c = new FakeClient();
        if (clients.length === 0) {
          c.startGate = slowStart.promise;
        }
        clients.push(c);
        return c;
      },
    });
    const first = server.start();
    await flush();
    const second = server.restart();
    await flush();
    expect(clients).toHaveLength(1);
    expect(clients[0].starts).toBe(1);
    slowStart.open();
    await Promise.all([first, second]);
    expect(clients).toHaveLength(2);
    expect(running(clients)).toBe(1);
    expect(clients[0].stops).toBe(1);
    expect(server.current).toBe(clients[1]);
  });

  it('does not create a client when lessonl is not installed', async () => {
    const { server, clients, notInstalled } = manager({
      checkInstalled: async () => ({ ok: false, problem: 'not-installed', detail: "No module named 'lessonl_server'" }),
    });
    expect(await server.start()).toBeUndefined();
    expect(clients).toHaveLength(0);
    expect(notInstalled).toHaveLength(1);
  });

  it('reports a server that fails to start and keeps going', async () => {
    const { server, clients } = manager({
      createClient: () => {
        const c = new FakeClient();
        c.startError = new Error('exited with code 1');
        clients.push(c);
        return c;
      },
    });
    expect(await server.start()).toBeUndefined();
    expect(server.current).toBeUndefined();
    expect(stub.state.messages[0].text).toContain('exited with code 1');
    // The chain is not poisoned: the next restart runs.
    await server.restart();
    expect(clients).toHaveLength(2);
  });

  it('reports, never swallows, a failure before the client exists', async () => {
    const { server } = manager({
      resolveInterpreter: async () => {
        throw new Error('workspace folder is gone');
      },
    });
    expect(await server.restart()).toBeUndefined();
    expect(stub.state.messages.map((m) => m.text)).toEqual([
      'LessonL: the server failed to start (Error: workspace folder is gone). See the LessonL log.',
    ]);
  });

  it('stop is ordered after a pending restart', async () => {
    const { server, clients } = manager();
    const restarting = server.restart();
    const stopping = server.stop();
    await Promise.all([restarting, stopping]);
    expect(clients).toHaveLength(1);
    expect(clients[0].isRunning()).toBe(false);
    expect(server.current).toBeUndefined();
  });
});
