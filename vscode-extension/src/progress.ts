/**
 * Shows what a run is doing: the notification progress of each run (round, best speedup so
 * far) and a status bar item while any run is going. Messages arrive two ways, both forwarded:
 * `$/progress` reports on the request's workDoneToken, and `lessonl/status` notifications
 * (which also reach us for runs started from elsewhere, e.g. the server's own command).
 */
import * as vscode from 'vscode';
import { Commands, Methods } from './constants';
import type { StatusParams } from './protocol';
import type { LspClient } from './server';

interface Run {
  name: string;
  message: string;
  sink: (message: string) => void;
}

export class RunStatus implements vscode.Disposable {
  private readonly runs = new Map<string, Run[]>();
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem('lessonl.run', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'LessonL run';
    this.item.command = Commands.showLog;
  }

  /** Registers a run on `uri`; `sink` receives its progress messages. Dispose to end it. */
  begin(uri: string, name: string, sink: (message: string) => void): vscode.Disposable {
    const run: Run = { name, message: 'starting', sink };
    this.runs.set(uri, [...(this.runs.get(uri) ?? []), run]);
    this.render();
    return new vscode.Disposable(() => {
      const left = (this.runs.get(uri) ?? []).filter((r) => r !== run);
      if (left.length) {
        this.runs.set(uri, left);
      } else {
        this.runs.delete(uri);
      }
      this.render();
    });
  }

  /** A message for the runs on `uri` (from `$/progress` or `lessonl/status`). */
  update(uri: string, message: string): void {
    for (const run of this.runs.get(uri) ?? []) {
      // The server sends each message both as `$/progress` and as `lessonl/status`.
      if (run.message !== message) {
        run.message = message;
        run.sink(message);
      }
    }
    this.render();
  }

  handleStatus(params: StatusParams): void {
    if (params && typeof params.uri === 'string' && params.message) {
      this.update(params.uri, params.message);
    }
  }

  /** Listens to `lessonl/status` on a (new) client. */
  attach(client: LspClient): vscode.Disposable {
    return client.onNotification(Methods.status, (params) => this.handleStatus(params as StatusParams));
  }

  get activeRuns(): number {
    let n = 0;
    for (const list of this.runs.values()) {
      n += list.length;
    }
    return n;
  }

  private render(): void {
    const all = [...this.runs.values()].flat();
    if (all.length === 0) {
      this.item.hide();
      return;
    }
    const first = all[0];
    this.item.text =
      all.length === 1 ? `$(sync~spin) LessonL: ${first.name} · ${first.message}` : `$(sync~spin) LessonL: ${all.length} runs`;
    this.item.tooltip = all.map((r) => `${r.name}: ${r.message}`).join('\n');
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
