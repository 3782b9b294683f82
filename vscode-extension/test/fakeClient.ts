/**
 * An in-memory LspClient playing the server's part: requests go to handlers the test sets,
 * notifications and the tokens passed to sendRequest are recorded, and the test can push
 * `lessonl/status` notifications and `$/progress` values as the server would.
 */
import type { CancellationToken, Disposable } from 'vscode';
import type { WorkDoneProgressValue } from '../src/protocol';
import type { LspClient } from '../src/server';

type RequestHandler = (params: any, token: CancellationToken | undefined) => unknown;

export class FakeClient implements LspClient {
  running = false;
  starts = 0;
  stops = 0;
  readonly requests: { method: string; params: any; token: CancellationToken | undefined }[] = [];
  readonly notifications: { method: string; params: any }[] = [];
  readonly handlers = new Map<string, RequestHandler>();
  private readonly notificationHandlers = new Map<string, ((params: unknown) => void)[]>();
  private readonly progressHandlers = new Map<string, (value: WorkDoneProgressValue) => void>();
  /** Lets a test hold start() or stop() open to probe concurrency. */
  startGate: Promise<void> = Promise.resolve();
  stopGate: Promise<void> = Promise.resolve();
  startError: Error | undefined;

  constructor(readonly label = 'client') {}

  async start(): Promise<void> {
    this.starts++;
    await this.startGate;
    if (this.startError) {
      throw this.startError;
    }
    this.running = true;
  }

  async stop(): Promise<void> {
    this.stops++;
    await this.stopGate;
    this.running = false;
  }

  isRunning(): boolean {
    return this.running;
  }

  async sendRequest<R>(method: string, params: unknown, token?: CancellationToken): Promise<R> {
    this.requests.push({ method, params, token });
    const handler = this.handlers.get(method);
    if (!handler) {
      throw Object.assign(new Error(`Unhandled method ${method}`), { code: -32601 });
    }
    return (await handler(params, token)) as R;
  }

  async sendNotification(method: string, params: unknown): Promise<void> {
    this.notifications.push({ method, params });
  }

  onNotification(method: string, handler: (params: unknown) => void): Disposable {
    this.notificationHandlers.set(method, [...(this.notificationHandlers.get(method) ?? []), handler]);
    return {
      dispose: () =>
        this.notificationHandlers.set(
          method,
          (this.notificationHandlers.get(method) ?? []).filter((h) => h !== handler),
        ),
    };
  }

  onWorkDoneProgress(token: string, handler: (value: WorkDoneProgressValue) => void): Disposable {
    this.progressHandlers.set(token, handler);
    return { dispose: () => this.progressHandlers.delete(token) };
  }

  /** The server sends a notification. */
  emit(method: string, params: unknown): void {
    for (const h of this.notificationHandlers.get(method) ?? []) {
      h(params);
    }
  }

  /** The server reports `$/progress` on `token`; false if nobody listens to it. */
  progress(token: string, value: WorkDoneProgressValue): boolean {
    const handler = this.progressHandlers.get(token);
    handler?.(value);
    return Boolean(handler);
  }
}

/** A promise and its resolve function, for holding a fake operation open. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
