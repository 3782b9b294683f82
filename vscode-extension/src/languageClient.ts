/**
 * The one module that imports vscode-languageclient at run time: it builds the real client
 * for a LaunchSpec and adapts it to `LspClient`. Kept apart so unit tests, which run without
 * VS Code, never load it.
 */
import * as vscode from 'vscode';
import {
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  TransportKind,
  WorkDoneProgress,
} from 'vscode-languageclient/node';
import { CLIENT_ID, CLIENT_NAME, SERVER_MODULE } from './constants';
import { createMiddleware } from './middleware';
import type { WorkDoneProgressValue } from './protocol';
import type { LaunchSpec, LspClient } from './server';

export const DOCUMENT_SELECTOR = [
  { scheme: 'file', language: 'c' },
  { scheme: 'file', language: 'cpp' },
  { scheme: 'file', language: 'python' },
];

/** Server options: `<interpreter> -m lessonl_server` on stdio, with the keys in its environment. */
export function serverOptions(spec: LaunchSpec): ServerOptions {
  return {
    command: spec.interpreter.path,
    args: ['-m', SERVER_MODULE],
    transport: TransportKind.stdio,
    options: { env: spec.env, cwd: spec.cwd },
  };
}

export function clientOptions(
  spec: LaunchSpec,
  log: vscode.LogOutputChannel,
  client: () => LspClient | undefined = () => undefined,
): LanguageClientOptions {
  return {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel: log,
    traceOutputChannel: log,
    initializationOptions: spec.initializationOptions,
    // No `synchronize.configurationSection`: that deprecated push model sends
    // workspace/didChangeConfiguration, which the server does not use. It pulls the `lessonl`
    // section per run with workspace/configuration, answered by middleware.ts.
    middleware: createMiddleware(client),
  };
}

class LanguageClientAdapter implements LspClient {
  constructor(private readonly client: LanguageClient) {}

  start(): Promise<void> {
    return this.client.start();
  }

  stop(): Promise<void> {
    return this.client.stop();
  }

  isRunning(): boolean {
    return this.client.isRunning();
  }

  sendRequest<R>(method: string, params: unknown, token?: vscode.CancellationToken): Promise<R> {
    return this.client.sendRequest<R>(method, params, token);
  }

  sendNotification(method: string, params: unknown): Promise<void> {
    return this.client.sendNotification(method, params);
  }

  onNotification(method: string, handler: (params: unknown) => void): vscode.Disposable {
    return this.client.onNotification(method, handler);
  }

  onWorkDoneProgress(token: string, handler: (value: WorkDoneProgressValue) => void): vscode.Disposable {
    return this.client.onProgress(WorkDoneProgress.type, token, (value) => handler(value as WorkDoneProgressValue));
  }
}

export function createLanguageClient(spec: LaunchSpec, log: vscode.LogOutputChannel): LspClient {
  let adapter: LspClient | undefined;
  const options = clientOptions(spec, log, () => adapter);
  adapter = new LanguageClientAdapter(new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions(spec), options));
  return adapter;
}
