import { homedir } from 'node:os';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  checkInstalled,
  expandSetting,
  pipInstallCommand,
  PYTHON_EXTENSION_ID,
  pythonExtensionInterpreter,
  resolveInterpreter,
} from '../src/interpreter';
import { fakeServerPackageDir } from './helpers';
import { stub, Uri, window } from './vscode-stub';

const log = () => window.createOutputChannel('test') as any;

describe('interpreter choice order', () => {
  it('uses the setting first, without asking the Python extension', async () => {
    let asked = false;
    const chosen = await resolveInterpreter({
      setting: '  /opt/py/bin/python  ',
      fromPythonExtension: async () => {
        asked = true;
        return '/from/extension';
      },
    });
    expect(chosen).toEqual({ path: '/opt/py/bin/python', source: 'setting' });
    expect(asked).toBe(false);
  });

  it("falls back to the Python extension's environment, then python3", async () => {
    expect(await resolveInterpreter({ setting: '', fromPythonExtension: async () => '/venv/bin/python' })).toEqual({
      path: '/venv/bin/python',
      source: 'python-extension',
    });
    expect(await resolveInterpreter({ setting: undefined, fromPythonExtension: async () => undefined })).toEqual({
      path: 'python3',
      source: 'default',
    });
  });

  it('expands ~ and ${workspaceFolder} in the setting', () => {
    expect(expandSetting('${workspaceFolder}/.venv/bin/python', '/proj')).toBe('/proj/.venv/bin/python');
    expect(expandSetting('~/py/bin/python', undefined)).toBe(`${homedir()}/py/bin/python`);
  });
});

describe("the Python extension's API (optional)", () => {
  beforeEach(() => stub.reset());

  it('is not required', async () => {
    expect(await pythonExtensionInterpreter(undefined, log())).toBeUndefined();
  });

  it('resolves the active environment to its executable, activating the extension if needed', async () => {
    let activated = false;
    const api = {
      environments: {
        getActiveEnvironmentPath: (resource?: Uri) => ({ id: 'venv', path: `${resource?.fsPath}/.venv` }),
        resolveEnvironment: async (env: { path: string }) => ({
          executable: { uri: Uri.file(`${env.path}/bin/python`) },
        }),
      },
    };
    stub.state.extensions.set(PYTHON_EXTENSION_ID, {
      isActive: false,
      exports: undefined,
      activate: async () => {
        activated = true;
        return api;
      },
    });
    expect(await pythonExtensionInterpreter(Uri.file('/proj') as any, log())).toBe('/proj/.venv/bin/python');
    expect(activated).toBe(true);
  });

  it('uses the older execution-details API', async () => {
    stub.state.extensions.set(PYTHON_EXTENSION_ID, {
      isActive: true,
      exports: { settings: { getExecutionDetails: () => ({ execCommand: ['/usr/bin/python3.11'] }) } },
    });
    expect(await pythonExtensionInterpreter(undefined, log())).toBe('/usr/bin/python3.11');
  });

  it('logs and falls back when the extension fails', async () => {
    const channel = log();
    stub.state.extensions.set(PYTHON_EXTENSION_ID, {
      isActive: false,
      activate: async () => {
        throw new Error('boom');
      },
    });
    expect(await pythonExtensionInterpreter(undefined, channel)).toBeUndefined();
    expect(channel.lines.join('\n')).toContain('boom');
  });
});

describe('install check (runs the real interpreter)', () => {
  it('passes when lessonl_server imports', async () => {
    const env = { ...process.env, PYTHONPATH: fakeServerPackageDir() };
    expect(await checkInstalled('python3', env)).toEqual({ ok: true });
  });

  it('says lessonl is missing when the import fails', async () => {
    const result = await checkInstalled('python3', { ...process.env, PYTHONPATH: '' });
    expect(result).toMatchObject({ ok: false, problem: 'not-installed' });
    expect(!result.ok && result.detail).toContain("No module named 'lessonl_server'");
  });

  it('says the interpreter is missing when it does not exist', async () => {
    expect(await checkInstalled('/nonexistent/python9', process.env)).toMatchObject({
      ok: false,
      problem: 'no-interpreter',
    });
  });

  it('quotes the interpreter in the pip command only when needed', () => {
    expect(pipInstallCommand('/usr/bin/python3')).toBe('/usr/bin/python3 -m pip install lessonl');
    expect(pipInstallCommand('/home/me/My Envs/python')).toBe("'/home/me/My Envs/python' -m pip install lessonl");
  });
});
