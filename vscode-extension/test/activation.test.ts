import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { activateWith } from '../src/activate';
import { Commands, LESSONS_VIEW_ID, Methods, PROPOSAL_SCHEME, SERVER_COMMANDS, SUMMARY_SCHEME } from '../src/constants';
import type { LaunchSpec } from '../src/server';
import { FakeClient } from './fakeClient';
import { fakeContext, fakeServerPackageDir } from './helpers';
import { stub, Uri } from './vscode-stub';

const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));

describe('activation', () => {
  const savedPath = process.env.PYTHONPATH;
  beforeEach(() => {
    stub.reset();
    process.env.PYTHONPATH = fakeServerPackageDir();
    stub.state.settings.set('lessonl.interpreter', 'python3');
    stub.state.settings.set('lessonl.rounds', 3);
    stub.state.settings.set('lessonl.maxCostUsd', 0.5);
    stub.state.settings.set('lessonl.lessonsPerPrompt', null);
    stub.state.settings.set('lessonl.maxWallSeconds', 'soon');
  });
  afterEach(() => {
    process.env.PYTHONPATH = savedPath;
  });

  it('registers every contributed command, view, provider and starts the server', async () => {
    const clients: FakeClient[] = [];
    const specs: LaunchSpec[] = [];
    const api = activateWith(fakeContext(), (spec) => {
      specs.push(spec);
      const c = new FakeClient();
      clients.push(c);
      return c;
    });
    await api.server.idle();

    const contributed: string[] = manifest.contributes.commands.map((c: { command: string }) => c.command);
    expect(contributed.sort()).toEqual(Object.values(Commands).filter((c) => c !== Commands.serverOptimize).sort());
    // "LessonL: Find Hotspots" is the server's command, offered in the palette.
    expect(contributed).toContain(Commands.serverFindHotspots);
    for (const id of contributed.filter((c) => !SERVER_COMMANDS.includes(c))) {
      expect(stub.state.commands.has(id), id).toBe(true);
    }
    // The language client registers the server's commands; registering them too would throw in VS Code.
    for (const id of SERVER_COMMANDS) {
      expect(stub.state.commands.has(id), id).toBe(false);
    }

    expect(stub.state.treeViews.has(LESSONS_VIEW_ID)).toBe(true);
    expect(manifest.contributes.views.explorer[0]).toMatchObject({ id: LESSONS_VIEW_ID, name: 'LessonL Lessons' });
    expect([...stub.state.contentProviders.keys()].sort()).toEqual([PROPOSAL_SCHEME, SUMMARY_SCHEME].sort());
    expect(stub.state.hoverProviders).toHaveLength(1);
    expect(stub.state.channels.map((c) => c.name)).toEqual(['LessonL']);
    expect(stub.state.statusItems).toHaveLength(1);

    expect(clients).toHaveLength(1);
    expect(clients[0].isRunning()).toBe(true);
    expect(api.server.current).toBe(clients[0]);
    expect(specs[0].interpreter).toEqual({ path: 'python3', source: 'setting' });
    // Unset run settings are left out so lessonl.toml decides; the rest go as written (the
    // engine validates them, so a bad one fails the run with one line, never silently).
    expect(specs[0].initializationOptions).toEqual({ rounds: 3, maxCostUsd: 0.5, maxWallSeconds: 'soon' });

    // A lesson added during a run (lessonl/status) refreshes the Lessons view at once.
    let refreshed = 0;
    api.lessons.refresh = () => void refreshed++;
    clients[0].emit(Methods.status, { uri: 'file:///a.cpp', kind: 'lesson_added', message: 'm', event: { kind: 'lesson_added' } });
    clients[0].emit(Methods.status, { uri: 'file:///a.cpp', kind: 'round_started', message: 'm', event: { kind: 'round_started' } });
    expect(refreshed).toBe(1);
  });

  it('declares activation on C, C++ and Python, every setting, and menus only for declared commands', () => {
    expect(manifest.activationEvents).toEqual(['onLanguage:c', 'onLanguage:cpp', 'onLanguage:python']);
    expect(Object.keys(manifest.contributes.configuration.properties).sort()).toEqual(
      [
        'lessonl.interpreter',
        'lessonl.lessonsPerPrompt',
        'lessonl.maxCostUsd',
        'lessonl.maxWallSeconds',
        'lessonl.rounds',
        'lessonl.trace.server',
      ].sort(),
    );
    const declared = new Set(manifest.contributes.commands.map((c: { command: string }) => c.command));
    for (const entries of Object.values(manifest.contributes.menus) as { command: string }[][]) {
      for (const entry of entries) {
        expect(declared.has(entry.command), entry.command).toBe(true);
      }
    }
    const titles = manifest.contributes.menus['editor/title'];
    expect(titles.map((t: { command: string }) => t.command)).toEqual([
      Commands.acceptProposal,
      Commands.acceptChange,
      Commands.rejectProposal,
      Commands.showProposalSummary,
    ]);
    for (const t of titles) {
      expect(t.when).toBe(`resourceScheme == ${PROPOSAL_SCHEME}`);
    }
    expect(manifest.extensionDependencies).toBeUndefined();
    expect(manifest.devDependencies['@types/vscode'].replace(/^[~^]/, '')).toBe(
      manifest.engines.vscode.replace(/^[~^]/, ''),
    );
  });

  it('restarts the server when lessonl.interpreter changes, not for run settings', async () => {
    const clients: FakeClient[] = [];
    const api = activateWith(fakeContext(), () => {
      const c = new FakeClient();
      clients.push(c);
      return c;
    });
    await api.server.idle();
    stub.setSetting('lessonl.rounds', 5);
    await api.server.idle();
    expect(clients).toHaveLength(1);
    stub.setSetting('lessonl.interpreter', 'python3');
    await api.server.idle();
    expect(clients).toHaveLength(2);
    expect(clients[0].isRunning()).toBe(false);
    expect(clients[1].isRunning()).toBe(true);
  });

  it('offers the exact pip command when lessonl is not installed in the interpreter', async () => {
    process.env.PYTHONPATH = '';
    stub.state.answers.push('Copy Command');
    const created: FakeClient[] = [];
    const api = activateWith(fakeContext(), () => {
      const c = new FakeClient();
      created.push(c);
      return c;
    });
    await api.server.idle();
    expect(created).toHaveLength(0);
    const message = stub.state.messages.find((m) => m.level === 'error');
    expect(message?.text).toBe(
      'LessonL: lessonl is not installed in python3; install it with: python3 -m pip install lessonl',
    );
    expect(message?.items).toEqual(['Run in Terminal', 'Copy Command', 'Open Settings']);
    await new Promise((r) => setTimeout(r, 0));
    expect(stub.state.clipboard).toBe('python3 -m pip install lessonl');
  });

  it('refreshes the lessons view when the active file moves to another workspace folder', async () => {
    stub.state.workspaceFolders = [
      { uri: Uri.file('/a'), name: 'a', index: 0 },
      { uri: Uri.file('/b'), name: 'b', index: 1 },
    ];
    const api = activateWith(fakeContext(), () => new FakeClient());
    await api.server.idle();
    let refreshes = 0;
    api.lessons.onDidChangeTreeData(() => refreshes++);
    stub.showEditor(stub.openDocument('/a/x.cpp', ''));
    stub.showEditor(stub.openDocument('/a/y.cpp', ''));
    expect(refreshes).toBe(1);
    stub.showEditor(stub.openDocument('/b/z.py', '', 'python'));
    expect(refreshes).toBe(2);
  });
});
