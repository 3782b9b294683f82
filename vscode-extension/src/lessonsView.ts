/**
 * The "LessonL Lessons" view: the project's lesson bank from `lessonl/lessons`, with refresh,
 * search (the query is sent to the server, which ranks lessons the same way runs select
 * them) and forget (`lessonl/forget`).
 */
import * as vscode from 'vscode';
import { Methods } from './constants';
import type { ForgetParams, ForgetResult, LessonRecord, LessonsParams } from './protocol';
import { formatSpeedup } from './proposals';
import type { ClientSource } from './proposals';

export const LESSON_LIMIT = 200;

/** The active file picks the project (and so the bank) in a multi-root workspace. */
function projectScope(): { uri?: string } {
  const uri = vscode.window.activeTextEditor?.document.uri;
  return uri?.scheme === 'file' ? { uri: uri.toString() } : {};
}

export class LessonsProvider implements vscode.TreeDataProvider<LessonRecord>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<LessonRecord | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private view: vscode.TreeView<LessonRecord> | undefined;
  query: string | undefined;

  constructor(
    private readonly server: ClientSource,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  attach(view: vscode.TreeView<LessonRecord>): void {
    this.view = view;
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(lesson: LessonRecord): vscode.TreeItem {
    const firstLine = lesson.text.split('\n')[0];
    const item = new vscode.TreeItem(firstLine, vscode.TreeItemCollapsibleState.None);
    item.id = lesson.id;
    const parts = [lesson.outcome];
    if (typeof lesson.speedup === 'number') {
      parts.push(formatSpeedup(lesson.speedup));
    }
    if (lesson.language) {
      parts.push(lesson.language);
    }
    item.description = parts.join(' · ');
    const tooltip = new vscode.MarkdownString();
    tooltip.appendText(lesson.text);
    tooltip.appendMarkdown(
      `\n\n---\n\n${parts.join(' · ')} · target ${lesson.target ?? '?'} · \`${lesson.function ?? '?'}\`` +
        ` · agent ${lesson.agent ?? '?'} · round ${typeof lesson.round === 'number' ? lesson.round + 1 : '?'} · used ${lesson.uses ?? 0}×\n\n${lesson.id}`,
    );
    item.tooltip = tooltip;
    item.iconPath = new vscode.ThemeIcon(lesson.outcome === 'correct' ? 'lightbulb' : 'warning');
    item.contextValue = 'lesson';
    return item;
  }

  async getChildren(element?: LessonRecord): Promise<LessonRecord[]> {
    if (element) {
      return [];
    }
    const client = this.server.current;
    if (!client) {
      this.setMessage('The LessonL server is not running.');
      return [];
    }
    try {
      const params: LessonsParams = { limit: LESSON_LIMIT, ...projectScope() };
      if (this.query) {
        params.query = this.query;
      }
      const lessons = await client.sendRequest<LessonRecord[]>(Methods.lessons, params);
      this.setMessage(
        lessons.length === 0
          ? this.query
            ? `No lesson matches “${this.query}”.`
            : 'No lessons yet: optimize a function to learn some.'
          : undefined,
      );
      return lessons;
    } catch (err) {
      this.log.error(`lessonl/lessons failed: ${String(err)}`);
      this.setMessage(`Could not list lessons: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
  }

  async search(): Promise<void> {
    const query = await vscode.window.showInputBox({
      title: 'LessonL: Search Lessons',
      prompt: 'Words to look for (empty shows every lesson)',
      value: this.query ?? '',
    });
    if (query === undefined) {
      return;
    }
    this.setQuery(query.trim() || undefined);
  }

  setQuery(query: string | undefined): void {
    this.query = query;
    if (this.view) {
      this.view.description = query ? `“${query}”` : undefined;
    }
    void vscode.commands.executeCommand('setContext', 'lessonl.lessonSearch', Boolean(query));
    this.refresh();
  }

  /** Asks, then sends `lessonl/forget`. Returns whether the server forgot it. */
  async forget(lesson: LessonRecord | undefined, confirm = true): Promise<boolean> {
    if (!lesson) {
      return false;
    }
    const client = this.server.current;
    if (!client) {
      void vscode.window.showErrorMessage('LessonL: the server is not running, so no lesson can be forgotten.');
      return false;
    }
    if (confirm) {
      const answer = await vscode.window.showWarningMessage(
        `Forget this lesson? “${lesson.text.split('\n')[0]}”`,
        { modal: true },
        'Forget',
      );
      if (answer !== 'Forget') {
        return false;
      }
    }
    const params: ForgetParams = { id: lesson.id, ...projectScope() };
    const result = await client.sendRequest<ForgetResult>(Methods.forget, params);
    if (!result.forgotten) {
      void vscode.window.showWarningMessage(`LessonL: lesson ${lesson.id} was not in the bank any more.`);
    }
    this.refresh();
    return result.forgotten;
  }

  private setMessage(message: string | undefined): void {
    if (this.view) {
      this.view.message = message;
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}
