/**
 * Owns the language client's life: resolve the interpreter, check lessonl is installed in it,
 * start, stop and restart. Every start/stop goes through one promise chain, so two restarts
 * asked for at once (a settings change while the user runs "Restart Server") never run two
 * servers or stop a client that is still starting. A restart queued but not yet begun serves
 * every caller that asks meanwhile.
 *
 * The vscode-languageclient object is behind `LspClient` (see languageClient.ts) so this file,
 * and everything that talks to the server, can be unit-tested without VS Code.
 */
import * as vscode from 'vscode';
import type { WorkDoneProgressValue } from './protocol';
import type { InstallCheck, ResolvedInterpreter } from './interpreter';
import type { ServerSettings } from './settings';

/** What the rest of the extension needs from a language client. */
export interface LspClient {
  start(): Promise<void>;
  stop(): Promise<void>;
  isRunning(): boolean;
  sendRequest<R>(method: string, params: unknown, token?: vscode.CancellationToken): Promise<R>;
  sendNotification(method: string, params: unknown): Promise<void>;
  onNotification(method: string, handler: (params: unknown) => void): vscode.Disposable;
  onWorkDoneProgress(token: string, handler: (value: WorkDoneProgressValue) => void): vscode.Disposable;
}

/** Everything needed to launch `<interpreter> -m lessonl_server`. */
export interface LaunchSpec {
  interpreter: ResolvedInterpreter;
  env: NodeJS.ProcessEnv;
  cwd: string | undefined;
  initializationOptions: ServerSettings;
}

export interface ServerManagerDeps {
  resolveInterpreter(): Promise<ResolvedInterpreter>;
  serverEnvironment(): Promise<NodeJS.ProcessEnv>;
  checkInstalled(interpreter: string, env: NodeJS.ProcessEnv): Promise<InstallCheck>;
  /** Shows the "not installed" notification; must not wait for the user's answer. */
  reportNotInstalled(interpreter: ResolvedInterpreter, check: InstallCheck & { ok: false }): void;
  initializationOptions(): ServerSettings;
  workspaceFolder(): string | undefined;
  createClient(spec: LaunchSpec): LspClient;
  log: vscode.LogOutputChannel;
}

export class ServerManager implements vscode.Disposable {
  private client: LspClient | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private queuedRestart: Promise<LspClient | undefined> | undefined;
  private readonly changed = new vscode.EventEmitter<LspClient | undefined>();

  /** Fires with the new client after each start, and with undefined after a stop. */
  readonly onDidChangeClient: vscode.Event<LspClient | undefined> = this.changed.event;

  constructor(private readonly deps: ServerManagerDeps) {}

  /** The running client, if any. */
  get current(): LspClient | undefined {
    return this.client?.isRunning() ? this.client : undefined;
  }

  /** Starts the server, or restarts it if running. Resolves to the client, or undefined if it could not start. */
  restart(): Promise<LspClient | undefined> {
    if (this.queuedRestart) {
      return this.queuedRestart;
    }
    const run = this.chain.then(() => {
      this.queuedRestart = undefined;
      return this.doRestart();
    });
    this.queuedRestart = run;
    this.chain = run.catch(() => undefined);
    return run;
  }

  start(): Promise<LspClient | undefined> {
    return this.restart();
  }

  stop(): Promise<void> {
    const run = this.chain.then(() => this.doStop());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Waits for every queued start/stop; used by tests and by deactivate. */
  async idle(): Promise<void> {
    await this.chain;
  }

  dispose(): void {
    void this.stop();
    this.changed.dispose();
  }

  private async doStop(): Promise<void> {
    const old = this.client;
    if (!old) {
      return;
    }
    this.client = undefined;
    this.changed.fire(undefined);
    try {
      await old.stop();
    } catch (err) {
      // A server that already died cannot be stopped cleanly; say so and carry on restarting.
      this.deps.log.warn(`Stopping the LessonL server failed: ${String(err)}`);
    }
  }

  /** Never rejects: every failure is logged and shown once here, since callers often `void` it. */
  private async doRestart(): Promise<LspClient | undefined> {
    try {
      return await this.startClient();
    } catch (err) {
      this.client = undefined;
      this.deps.log.error(`The LessonL server failed to start: ${String(err)}`);
      void vscode.window
        .showErrorMessage(`LessonL: the server failed to start (${String(err)}). See the LessonL log.`, 'Show Log')
        .then((choice) => choice && this.deps.log.show());
      return undefined;
    }
  }

  private async startClient(): Promise<LspClient | undefined> {
    await this.doStop();
    const interpreter = await this.deps.resolveInterpreter();
    const env = await this.deps.serverEnvironment();
    this.deps.log.info(`Using interpreter ${interpreter.path} (from ${interpreter.source})`);
    const check = await this.deps.checkInstalled(interpreter.path, env);
    if (!check.ok) {
      this.deps.log.error(`Cannot start the server: ${check.detail}`);
      this.deps.reportNotInstalled(interpreter, check);
      return undefined;
    }
    const client = this.deps.createClient({
      interpreter,
      env,
      cwd: this.deps.workspaceFolder(),
      initializationOptions: this.deps.initializationOptions(),
    });
    this.client = client;
    await client.start();
    this.changed.fire(client);
    return client;
  }
}
