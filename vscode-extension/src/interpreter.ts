/**
 * Which Python runs the server, and whether lessonl is installed in it.
 *
 * Order (issue 7): the `lessonl.interpreter` setting, else the Python extension's active
 * environment when that extension is installed, else `python3`. The Python extension is used
 * through its exported API only when present: it is never an `extensionDependencies` entry,
 * so users without it are not forced to install it.
 */
import { execFile } from 'node:child_process';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { SERVER_MODULE } from './constants';

export const PYTHON_EXTENSION_ID = 'ms-python.python';
export const DEFAULT_INTERPRETER = 'python3';

export type InterpreterSource = 'setting' | 'python-extension' | 'default';

export interface ResolvedInterpreter {
  path: string;
  source: InterpreterSource;
}

/** The part of the Python extension's API we use (its `environments` API, 2023+). */
interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string };
  resolveEnvironment(
    env: { id: string; path: string } | string,
  ): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
}

/** Older releases only offer `settings.getExecutionDetails`. */
interface PythonExtensionApi {
  environments?: PythonEnvironmentsApi;
  settings?: {
    getExecutionDetails?(resource?: vscode.Uri): { execCommand: string[] | undefined };
  };
}

export interface InterpreterSources {
  /** The raw `lessonl.interpreter` setting. */
  setting: string | undefined;
  /** Folder that `${workspaceFolder}` in the setting stands for. */
  workspaceFolder?: string;
  /** Asked only when the setting is empty, so a slow extension activation costs nothing then. */
  fromPythonExtension(): Promise<string | undefined>;
}

/** Expands `~` and `${workspaceFolder}` so a setting can be shared in a workspace's settings. */
export function expandSetting(value: string, workspaceFolder: string | undefined): string {
  let out = value.trim();
  if (out === '~' || out.startsWith('~/')) {
    out = os.homedir() + out.slice(1);
  }
  if (workspaceFolder !== undefined) {
    out = out.split('${workspaceFolder}').join(workspaceFolder);
  }
  return out;
}

export async function resolveInterpreter(sources: InterpreterSources): Promise<ResolvedInterpreter> {
  const setting = sources.setting?.trim();
  if (setting) {
    return { path: expandSetting(setting, sources.workspaceFolder), source: 'setting' };
  }
  const fromExtension = await sources.fromPythonExtension();
  if (fromExtension) {
    return { path: fromExtension, source: 'python-extension' };
  }
  return { path: DEFAULT_INTERPRETER, source: 'default' };
}

async function pythonApi(): Promise<PythonExtensionApi | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!ext) {
    return undefined;
  }
  return ext.isActive ? ext.exports : await ext.activate();
}

/**
 * The Python extension's active interpreter for `resource`, or undefined when the extension is
 * absent or has none selected. A failure inside that extension is logged, then we fall back:
 * it is an optional helper, and `python3` or the setting still work.
 */
export async function pythonExtensionInterpreter(
  resource: vscode.Uri | undefined,
  log: vscode.LogOutputChannel,
): Promise<string | undefined> {
  try {
    const api = await pythonApi();
    if (!api) {
      return undefined;
    }
    if (api.environments) {
      const active = api.environments.getActiveEnvironmentPath(resource);
      const resolved = await api.environments.resolveEnvironment(active);
      return resolved?.executable.uri?.fsPath ?? active.path;
    }
    return api.settings?.getExecutionDetails?.(resource).execCommand?.[0];
  } catch (err) {
    log.warn(`The Python extension could not give its interpreter, falling back: ${String(err)}`);
    return undefined;
  }
}

/** Calls `onChange` when the user picks another environment in the Python extension. */
export async function watchPythonExtension(
  onChange: () => void,
  log: vscode.LogOutputChannel,
): Promise<vscode.Disposable | undefined> {
  try {
    return (await pythonApi())?.environments?.onDidChangeActiveEnvironmentPath?.(() => onChange());
  } catch (err) {
    log.warn(`Cannot follow the Python extension's interpreter changes: ${String(err)}`);
    return undefined;
  }
}

export type InstallCheck =
  | { ok: true }
  | { ok: false; problem: 'no-interpreter' | 'not-installed'; detail: string };

/**
 * Runs `<interpreter> -c "import lessonl_server"` with the server's environment, so a missing
 * package shows up as one clear notification instead of a crashed server and a stack trace.
 */
export function checkInstalled(
  interpreter: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<InstallCheck> {
  return new Promise((resolve) => {
    execFile(
      interpreter,
      ['-c', `import ${SERVER_MODULE}`],
      { env, timeout: timeoutMs, windowsHide: true },
      (error, _stdout, stderr) => {
        if (!error) {
          resolve({ ok: true });
        } else if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          resolve({ ok: false, problem: 'no-interpreter', detail: `${interpreter} was not found` });
        } else {
          const lastLine = String(stderr).trim().split('\n').pop() ?? error.message;
          resolve({ ok: false, problem: 'not-installed', detail: lastLine });
        }
      },
    );
  });
}

/** Quotes a path for a POSIX shell or PowerShell/cmd when it holds spaces or quotes. */
export function shellQuote(value: string): string {
  if (/^[\w@%+=:,./\\-]+$/.test(value)) {
    return value;
  }
  return process.platform === 'win32'
    ? `"${value.replace(/"/g, '\\"')}"`
    : `'${value.replace(/'/g, "'\\''")}'`;
}

/** The exact command that installs lessonl into `interpreter`. */
export function pipInstallCommand(interpreter: string): string {
  return `${shellQuote(interpreter)} -m pip install lessonl`;
}
