/**
 * A stand-in for the `vscode` module (VS Code itself cannot be downloaded on these machines).
 * The parts the extension uses behave as in VS Code: documents carry text and a version that
 * an applied edit bumps, WorkspaceEdit applies, EventEmitter and CancellationTokenSource work,
 * registries record what was registered. Dialogs answer from queues the tests fill (`stub.answers`),
 * and every shown message is recorded (`stub.messages`).
 */

/* ---------------------------------------------------------------- basics */

export class Disposable {
  private done = false;
  constructor(private readonly callOnDispose: () => unknown) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    if (!this.done) {
      this.done = true;
      this.callOnDispose();
    }
  }
}

export type Listener<T> = (e: T) => unknown;

export class EventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  event = (listener: Listener<T>): Disposable => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) {
      l(value);
    }
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  private cancelled = false;
  readonly token = {
    isCancellationRequested: false,
    onCancellationRequested: this.emitter.event,
  };
  cancel(): void {
    if (!this.cancelled) {
      this.cancelled = true;
      this.token.isCancellationRequested = true;
      this.emitter.fire();
    }
  }
  dispose(): void {
    this.emitter.dispose();
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query: string,
    readonly fragment: string,
  ) {}
  static parse(value: string): Uri {
    const m = /^([a-zA-Z][\w+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(value);
    if (!m) {
      throw new Error(`bad uri ${value}`);
    }
    return new Uri(m[1], m[2] ?? '', decodeURIComponent(m[3]), m[4] ?? '', m[5] ?? '');
  }
  static file(path: string): Uri {
    return new Uri('file', '', path, '', '');
  }
  static from(c: { scheme: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
    return new Uri(c.scheme, c.authority ?? '', c.path ?? '', c.query ?? '', c.fragment ?? '');
  }
  get fsPath(): string {
    return this.path;
  }
  with(c: Partial<{ scheme: string; path: string; query: string }>): Uri {
    return new Uri(c.scheme ?? this.scheme, this.authority, c.path ?? this.path, c.query ?? this.query, this.fragment);
  }
  toString(): string {
    const auth = this.scheme === 'file' || this.authority ? `//${this.authority}` : '';
    return `${this.scheme}:${auth}${this.path}${this.query ? `?${this.query}` : ''}${this.fragment ? `#${this.fragment}` : ''}`;
  }
  toJSON(): string {
    return this.toString();
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(start: Position, end: Position) {
    this.start = start;
    this.end = end;
  }
}

export class Selection extends Range {
  constructor(
    readonly anchor: Position,
    readonly active: Position,
  ) {
    super(anchor, active);
  }
}

export class TextEdit {
  constructor(
    readonly range: Range,
    readonly newText: string,
  ) {}
}

export class WorkspaceEdit {
  readonly edits: { uri: Uri; edit: TextEdit }[] = [];
  replace(uri: Uri, range: Range, newText: string): void {
    this.edits.push({ uri, edit: new TextEdit(range, newText) });
  }
  get size(): number {
    return new Set(this.edits.map((e) => e.uri.toString())).size;
  }
}

export class MarkdownString {
  value = '';
  constructor(value = '') {
    this.value = value;
  }
  appendText(text: string): this {
    this.value += text.replace(/[\\`*_{}[\]()#+\-.!]/g, '\\$&');
    return this;
  }
  appendMarkdown(text: string): this {
    this.value += text;
    return this;
  }
}

export class Hover {
  readonly contents: MarkdownString[];
  constructor(contents: MarkdownString | MarkdownString[]) {
    this.contents = Array.isArray(contents) ? contents : [contents];
  }
}

export class ThemeIcon {
  constructor(readonly id: string) {}
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}

export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: string | MarkdownString;
  iconPath?: ThemeIcon;
  contextValue?: string;
  constructor(
    readonly label: string,
    readonly collapsibleState = TreeItemCollapsibleState.None,
  ) {}
}

export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export class TabInputText {
  constructor(readonly uri: Uri) {}
}

export class TabInputTextDiff {
  constructor(
    readonly original: Uri,
    readonly modified: Uri,
  ) {}
}

export enum CodeActionTriggerKind {
  Invoke = 1,
  Automatic = 2,
}

export class CodeActionKind {
  static readonly Empty = new CodeActionKind('');
  static readonly QuickFix = new CodeActionKind('quickfix');
  static readonly Refactor = new CodeActionKind('refactor');
  static readonly RefactorExtract = new CodeActionKind('refactor.extract');
  static readonly RefactorInline = new CodeActionKind('refactor.inline');
  static readonly RefactorRewrite = new CodeActionKind('refactor.rewrite');
  static readonly Source = new CodeActionKind('source');
  static readonly SourceOrganizeImports = new CodeActionKind('source.organizeImports');
  constructor(readonly value: string) {}
  append(part: string): CodeActionKind {
    return new CodeActionKind(this.value ? `${this.value}.${part}` : part);
  }
  contains(other: CodeActionKind): boolean {
    return this.value === '' || other.value === this.value || other.value.startsWith(`${this.value}.`);
  }
  intersects(other: CodeActionKind): boolean {
    return this.contains(other) || other.contains(this);
  }
}

export class CodeAction {
  command?: { title: string; command: string; arguments?: unknown[] };
  diagnostics?: unknown[];
  edit?: WorkspaceEdit;
  isPreferred?: boolean;
  disabled?: { reason: string };
  constructor(
    public title: string,
    public kind?: CodeActionKind,
  ) {}
}

/* ---------------------------------------------------------------- documents */

export class TextDocument {
  version = 1;
  constructor(
    readonly uri: Uri,
    private text: string,
    readonly languageId = 'cpp',
  ) {}
  getText(): string {
    return this.text;
  }
  get lineCount(): number {
    return this.text.split('\n').length;
  }
  offsetAt(p: Position): number {
    const lines = this.text.split('\n');
    let offset = 0;
    for (let i = 0; i < p.line && i < lines.length; i++) {
      offset += lines[i].length + 1;
    }
    return Math.min(offset + p.character, this.text.length);
  }
  positionAt(offset: number): Position {
    const before = this.text.slice(0, Math.max(0, Math.min(offset, this.text.length))).split('\n');
    return new Position(before.length - 1, before[before.length - 1].length);
  }
  /** What VS Code does on a user's edit. */
  applyChange(range: Range, newText: string): void {
    this.applyEdits([new TextEdit(range, newText)]);
  }
  /** Edits whose ranges all refer to the current text, applied as one change. */
  applyEdits(edits: TextEdit[]): void {
    const spans = edits
      .map((e) => ({ start: this.offsetAt(e.range.start), end: this.offsetAt(e.range.end), text: e.newText }))
      .sort((a, b) => b.start - a.start);
    for (const { start, end, text } of spans) {
      this.text = this.text.slice(0, start) + text + this.text.slice(end);
    }
    this.version += 1;
  }
}

/* ---------------------------------------------------------------- recorder */

type Handler = (...args: any[]) => any;

interface Message {
  level: 'info' | 'warning' | 'error';
  text: string;
  items: string[];
}

class LogChannel {
  readonly lines: string[] = [];
  shown = 0;
  constructor(readonly name: string) {}
  private add(level: string, message: string): void {
    this.lines.push(`[${level}] ${message}`);
  }
  trace(m: string): void {
    this.add('trace', m);
  }
  debug(m: string): void {
    this.add('debug', m);
  }
  info(m: string): void {
    this.add('info', m);
  }
  warn(m: string): void {
    this.add('warn', m);
  }
  error(m: string | Error): void {
    this.add('error', String(m));
  }
  append(m: string): void {
    this.lines.push(m);
  }
  appendLine(m: string): void {
    this.lines.push(m);
  }
  show(): void {
    this.shown++;
  }
  hide(): void {}
  clear(): void {}
  replace(): void {}
  dispose(): void {}
}

class StatusItem {
  text = '';
  tooltip: string | undefined;
  name: string | undefined;
  command: string | undefined;
  visible = false;
  constructor(readonly id: string) {}
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  dispose(): void {
    this.visible = false;
  }
}

export interface ProgressRecord {
  options: { title?: string; cancellable?: boolean; location: ProgressLocation };
  messages: string[];
  source: CancellationTokenSource;
  increment: number;
  done: boolean;
}

function freshState() {
  return {
    commands: new Map<string, Handler>(),
    executed: [] as { id: string; args: unknown[] }[],
    contentProviders: new Map<string, { provideTextDocumentContent(uri: Uri): string }>(),
    hoverProviders: [] as { selector: unknown; provider: unknown }[],
    codeActionProviders: [] as { selector: unknown; provider: any }[],
    treeViews: new Map<string, { message?: string; description?: string; provider: unknown }>(),
    documents: new Map<string, TextDocument>(),
    messages: [] as Message[],
    /** Queued answers for showXxxMessage / showQuickPick / showInputBox, consumed in order. */
    answers: [] as unknown[],
    inputBoxes: [] as { password?: boolean; prompt?: string }[],
    quickPicks: [] as { items: unknown[]; options: unknown }[],
    progress: [] as ProgressRecord[],
    statusItems: [] as StatusItem[],
    channels: [] as LogChannel[],
    settings: new Map<string, unknown>(),
    settingWrites: [] as { key: string; value: unknown }[],
    configListeners: new EventEmitter<{ affectsConfiguration(section: string): boolean }>(),
    extensions: new Map<string, unknown>(),
    clipboard: '',
    terminals: [] as { name: string; sent: string[] }[],
    tabs: [] as { input: unknown }[],
    closedTabs: [] as { input: unknown }[],
    appliedEdits: [] as WorkspaceEdit[],
    activeTextEditor: undefined as { document: TextDocument; selection: Selection } | undefined,
    shownDocuments: [] as TextDocument[],
    workspaceFolders: undefined as { uri: Uri; name: string; index: number }[] | undefined,
  };
}

export const stub = {
  state: freshState(),
  reset(): void {
    this.state = freshState();
  },
  /** Adds an open document, as if the user had opened the file (listeners hear didOpen). */
  openDocument(path: string, text: string, languageId = 'cpp'): TextDocument {
    const doc = new TextDocument(Uri.file(path), text, languageId);
    this.state.documents.set(doc.uri.toString(), doc);
    documentEvents.onDidOpenTextDocument.fire(doc);
    return doc;
  },
  /** Makes `document` the active editor's, as when the user switches tabs. */
  showEditor(document: TextDocument): void {
    this.state.activeTextEditor = { document, selection: new Selection(new Position(0, 0), new Position(0, 0)) };
    editorChanged.fire(this.state.activeTextEditor);
  },
  /** Sets a `section.key` setting and fires onDidChangeConfiguration. */
  setSetting(key: string, value: unknown): void {
    this.state.settings.set(key, value);
    this.state.configListeners.fire({ affectsConfiguration: (s: string) => key === s || key.startsWith(`${s}.`) });
  },
};

function nextAnswer(): unknown {
  return stub.state.answers.shift();
}

function recordMessage(level: Message['level'], text: string, rest: unknown[]): Promise<unknown> {
  const items = rest.filter((r): r is string => typeof r === 'string');
  stub.state.messages.push({ level, text, items });
  return Promise.resolve(nextAnswer());
}

/* ---------------------------------------------------------------- namespaces */

export const commands = {
  registerCommand(id: string, handler: Handler): Disposable {
    if (stub.state.commands.has(id)) {
      throw new Error(`command '${id}' already exists`);
    }
    stub.state.commands.set(id, handler);
    return new Disposable(() => stub.state.commands.delete(id));
  },
  async executeCommand(id: string, ...args: unknown[]): Promise<unknown> {
    stub.state.executed.push({ id, args });
    const handler = stub.state.commands.get(id);
    return handler ? handler(...args) : undefined;
  },
};

const editorChanged = new EventEmitter<{ document: TextDocument } | undefined>();

export const window = {
  get activeTextEditor() {
    return stub.state.activeTextEditor;
  },
  onDidChangeActiveTextEditor: editorChanged.event,
  createOutputChannel(name: string): LogChannel {
    const channel = new LogChannel(name);
    stub.state.channels.push(channel);
    return channel;
  },
  createStatusBarItem(id: string): StatusItem {
    const item = new StatusItem(id);
    stub.state.statusItems.push(item);
    return item;
  },
  createTreeView(id: string, options: { treeDataProvider: unknown }) {
    const view = { message: undefined as string | undefined, description: undefined as string | undefined, provider: options.treeDataProvider, dispose() {} };
    stub.state.treeViews.set(id, view);
    return view;
  },
  showInformationMessage: (text: string, ...rest: unknown[]) => recordMessage('info', text, rest),
  showWarningMessage: (text: string, ...rest: unknown[]) => recordMessage('warning', text, rest),
  showErrorMessage: (text: string, ...rest: unknown[]) => recordMessage('error', text, rest),
  async showQuickPick<T>(items: T[], options?: unknown): Promise<T | undefined> {
    stub.state.quickPicks.push({ items, options });
    const answer = nextAnswer();
    return typeof answer === 'number' ? items[answer] : (answer as T | undefined);
  },
  async showInputBox(options: { password?: boolean; prompt?: string; validateInput?(v: string): unknown }) {
    stub.state.inputBoxes.push({ password: options.password, prompt: options.prompt });
    return nextAnswer() as string | undefined;
  },
  async withProgress<R>(
    options: ProgressRecord['options'],
    task: (
      progress: { report(v: { message?: string; increment?: number }): void },
      token: CancellationTokenSource['token'],
    ) => Promise<R>,
  ): Promise<R> {
    const record: ProgressRecord = { options, messages: [], source: new CancellationTokenSource(), increment: 0, done: false };
    stub.state.progress.push(record);
    try {
      const report = (v: { message?: string; increment?: number }): void => {
        if (v.message !== undefined) {
          record.messages.push(v.message);
        }
        record.increment += v.increment ?? 0;
      };
      return await task({ report }, record.source.token);
    } finally {
      record.done = true;
    }
  },
  async showTextDocument(doc: TextDocument): Promise<unknown> {
    stub.state.shownDocuments.push(doc);
    return { document: doc };
  },
  createTerminal(name: string) {
    const terminal = { name, sent: [] as string[], show() {}, sendText(t: string) { terminal.sent.push(t); } };
    stub.state.terminals.push(terminal);
    return terminal;
  },
  tabGroups: {
    get all() {
      return [{ tabs: stub.state.tabs }];
    },
    async close(tabs: { input: unknown }[]): Promise<boolean> {
      stub.state.tabs = stub.state.tabs.filter((t) => !tabs.includes(t));
      stub.state.closedTabs.push(...tabs);
      return true;
    },
  },
};

/** Events VS Code would fire; the language client subscribes to them at start. */
const documentEvents = {
  onDidOpenTextDocument: new EventEmitter<TextDocument>(),
  onDidChangeTextDocument: new EventEmitter<unknown>(),
  onWillSaveTextDocument: new EventEmitter<unknown>(),
  onDidSaveTextDocument: new EventEmitter<TextDocument>(),
  onDidCloseTextDocument: new EventEmitter<TextDocument>(),
};

export const version = '1.82.0';

export const workspace = {
  onDidOpenTextDocument: documentEvents.onDidOpenTextDocument.event,
  onDidChangeTextDocument: documentEvents.onDidChangeTextDocument.event,
  onWillSaveTextDocument: documentEvents.onWillSaveTextDocument.event,
  onDidSaveTextDocument: documentEvents.onDidSaveTextDocument.event,
  onDidCloseTextDocument: documentEvents.onDidCloseTextDocument.event,
  get textDocuments() {
    return [...stub.state.documents.values()];
  },
  get workspaceFolders() {
    return stub.state.workspaceFolders;
  },
  getWorkspaceFolder(uri: Uri) {
    return stub.state.workspaceFolders?.find((f) => uri.path.startsWith(`${f.uri.path}/`));
  },
  getConfiguration(section?: string) {
    const prefix = section ? `${section}.` : '';
    return {
      get<T>(key: string, fallback?: T): T | undefined {
        const full = prefix + key;
        return stub.state.settings.has(full) ? (stub.state.settings.get(full) as T) : fallback;
      },
      has: (key: string) => stub.state.settings.has(prefix + key),
      async update(key: string, value: unknown): Promise<void> {
        stub.state.settingWrites.push({ key: prefix + key, value });
        stub.state.settings.set(prefix + key, value);
      },
    };
  },
  onDidChangeConfiguration: (l: Listener<{ affectsConfiguration(section: string): boolean }>) =>
    stub.state.configListeners.event(l),
  registerTextDocumentContentProvider(scheme: string, provider: { provideTextDocumentContent(uri: Uri): string }) {
    stub.state.contentProviders.set(scheme, provider);
    return new Disposable(() => stub.state.contentProviders.delete(scheme));
  },
  async openTextDocument(uri: Uri): Promise<TextDocument> {
    const doc = stub.state.documents.get(uri.toString());
    if (!doc) {
      throw new Error(`cannot open ${uri.toString()}`);
    }
    return doc;
  },
  /** As VS Code: every range refers to the document before the edit, and the whole edit is
   * one change (one version bump, one undo step) per document. */
  async applyEdit(edit: WorkspaceEdit): Promise<boolean> {
    stub.state.appliedEdits.push(edit);
    const byUri = new Map<string, TextEdit[]>();
    for (const { uri, edit: e } of edit.edits) {
      if (!stub.state.documents.has(uri.toString())) {
        return false;
      }
      byUri.set(uri.toString(), [...(byUri.get(uri.toString()) ?? []), e]);
    }
    for (const [uri, edits] of byUri) {
      const doc = stub.state.documents.get(uri)!;
      doc.applyEdits(edits);
    }
    return true;
  },
};

interface Filter {
  scheme?: string;
  language?: string;
}

export const languages = {
  /** Enough of VS Code's selector scoring for the language client's "is this document mine?". */
  match(selector: string | Filter | (string | Filter)[], document: TextDocument): number {
    const filters = Array.isArray(selector) ? selector : [selector];
    return filters.some((f) =>
      typeof f === 'string'
        ? f === document.languageId
        : (f.scheme === undefined || f.scheme === document.uri.scheme) &&
          (f.language === undefined || f.language === document.languageId),
    )
      ? 10
      : 0;
  },
  registerCodeActionsProvider(selector: unknown, provider: unknown): Disposable {
    stub.state.codeActionProviders.push({ selector, provider });
    return new Disposable(() => undefined);
  },
  registerHoverProvider(selector: unknown, provider: unknown): Disposable {
    stub.state.hoverProviders.push({ selector, provider });
    return new Disposable(() => undefined);
  },
};

export const extensions = {
  getExtension(id: string) {
    return stub.state.extensions.get(id);
  },
};

export const env = {
  appName: 'Visual Studio Code',
  language: 'en',
  clipboard: {
    async writeText(text: string): Promise<void> {
      stub.state.clipboard = text;
    },
    async readText(): Promise<string> {
      return stub.state.clipboard;
    },
  },
};

/** A SecretStorage kept in memory, as VS Code's keychain-backed one behaves. */
export class MemorySecretStorage {
  readonly values = new Map<string, string>();
  private readonly emitter = new EventEmitter<{ key: string }>();
  onDidChange = this.emitter.event;
  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
  async store(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    this.emitter.fire({ key });
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
    this.emitter.fire({ key });
  }
}
