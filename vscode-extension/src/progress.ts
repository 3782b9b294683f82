/**
 * Shows what a run is doing: the notification progress of each run (round, best speedup so
 * far) and a status bar item while any run is going. The text comes from one place, the
 * server's `$/progress` reports on the request's workDoneToken. `lessonl/status` is used only
 * for what that text does not carry: a `lesson_added` event means the bank changed, so the
 * Lessons view refreshes while the run goes on.
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

  /** A `$/progress` message for the runs on `uri`. */
  update(uri: string, message: string): void {
    for (const run of this.runs.get(uri) ?? []) {
      run.message = message;
      run.sink(message);
    }
    this.render();
  }

  /** A `lessonl/status` notification: only `lesson_added` matters here (see the top). */
  handleStatus(params: StatusParams, lessonsChanged: () => void): void {
    if (params && typeof params === 'object' && params.kind === 'lesson_added') {
      lessonsChanged();
    }
  }

  /** Listens to `lessonl/status` on a (new) client. */
  attach(client: LspClient, lessonsChanged: () => void): vscode.Disposable {
    return client.onNotification(Methods.status, (params) => this.handleStatus(params as StatusParams, lessonsChanged));
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
