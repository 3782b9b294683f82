/**
 * Wires the extension together. `activateWith` takes the client factory as a parameter so
 * tests can activate the whole extension under a stubbed `vscode` without loading
 * vscode-languageclient (extension.ts passes the real one).
 */
import * as vscode from 'vscode';
import {
  CLIENT_NAME,
  Commands,
  CONFIG_SECTION,
  LESSONS_VIEW_ID,
  PROPOSAL_SCHEME,
  SUMMARY_SCHEME,
} from './constants';
import {
  checkInstalled,
  type InstallCheck,
  pipInstallCommand,
  pythonExtensionInterpreter,
  type ResolvedInterpreter,
  resolveInterpreter,
  watchPythonExtension,
} from './interpreter';
import { LessonsProvider } from './lessonsView';
import { runOptimize } from './optimize';
import { RunStatus } from './progress';
import type { LessonRecord, OptimizeArgument, SweepArgument } from './protocol';
import { ProposalReview } from './proposals';
import { ApiKeyStore, promptAndStoreApiKey } from './secrets';
import { runSweep, showPastSweep } from './sweep';
import { type LaunchSpec, type LspClient, ServerManager } from './server';
import { interpreterSetting, readServerSettings } from './settings';

export interface ExtensionApi {
  server: ServerManager;
  review: ProposalReview;
  lessons: LessonsProvider;
  status: RunStatus;
  keys: ApiKeyStore;
  log: vscode.LogOutputChannel;
}

function firstWorkspaceFolder(): vscode.Uri | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

/** The "lessonl is not installed" notification, with the exact pip command to fix it. */
export function reportNotInstalled(
  interpreter: ResolvedInterpreter,
  check: InstallCheck & { ok: false },
  restart: () => unknown,
): void {
  const openSettings = 'Open Settings';
  if (check.problem === 'no-interpreter') {
    void vscode.window
      .showErrorMessage(
        `LessonL: the Python interpreter "${interpreter.path}" was not found; set "lessonl.interpreter" to a Python 3 with lessonl installed.`,
        openSettings,
      )
      .then((choice) => choice && vscode.commands.executeCommand('workbench.action.openSettings', 'lessonl.interpreter'));
    return;
  }
  const command = pipInstallCommand(interpreter.path);
  const runInTerminal = 'Run in Terminal';
  const copy = 'Copy Command';
  void vscode.window
    .showErrorMessage(
      `LessonL: lessonl is not installed in ${interpreter.path}; install it with: ${command}`,
      runInTerminal,
      copy,
      openSettings,
    )
    .then(async (choice) => {
      if (choice === copy) {
        await vscode.env.clipboard.writeText(command);
      } else if (choice === runInTerminal) {
        const terminal = vscode.window.createTerminal('LessonL: install');
        terminal.show();
        terminal.sendText(command);
        const again = await vscode.window.showInformationMessage(
          'LessonL: when pip has finished, restart the server.',
          'Restart Server',
        );
        if (again) {
          restart();
        }
      } else if (choice === openSettings) {
        await vscode.commands.executeCommand('workbench.action.openSettings', 'lessonl.interpreter');
      }
    });
}

export function activateWith(
  context: vscode.ExtensionContext,
  createClient: (spec: LaunchSpec, log: vscode.LogOutputChannel) => LspClient,
): ExtensionApi {
  const log = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  const keys = new ApiKeyStore(context.secrets);
  const server: ServerManager = new ServerManager({
    resolveInterpreter: () =>
      resolveInterpreter({
        setting: interpreterSetting(firstWorkspaceFolder()),
        workspaceFolder: firstWorkspaceFolder()?.fsPath,
        fromPythonExtension: () => pythonExtensionInterpreter(firstWorkspaceFolder(), log),
      }),
    serverEnvironment: () => keys.serverEnvironment(),
    checkInstalled: (interpreter, env) => checkInstalled(interpreter, env),
    reportNotInstalled: (interpreter, check) => reportNotInstalled(interpreter, check, () => server.restart()),
    initializationOptions: () => readServerSettings(firstWorkspaceFolder()),
    workspaceFolder: () => firstWorkspaceFolder()?.fsPath,
    createClient: (spec) => createClient(spec, log),
    log,
  });
  const status = new RunStatus();
  const review = new ProposalReview(server, log);
  const lessons = new LessonsProvider(server, log);
  const view = vscode.window.createTreeView(LESSONS_VIEW_ID, { treeDataProvider: lessons, showCollapseAll: false });
  lessons.attach(view);

  let statusSubscription: vscode.Disposable | undefined;
  let shownFolder: string | undefined;
  const command = (id: string, run: (...args: unknown[]) => unknown): vscode.Disposable =>
    vscode.commands.registerCommand(id, run);

  context.subscriptions.push(
    log,
    server,
    status,
    review,
    lessons,
    view,
    server.onDidChangeClient((client) => {
      statusSubscription?.dispose();
      statusSubscription = client ? status.attach(client, () => lessons.refresh()) : undefined;
      lessons.refresh();
    }),
    { dispose: () => statusSubscription?.dispose() },
    vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, review),
    vscode.workspace.registerTextDocumentContentProvider(SUMMARY_SCHEME, review),
    vscode.languages.registerHoverProvider({ scheme: PROPOSAL_SCHEME }, review),
    command(Commands.optimizeWithReview, (arg) =>
      runOptimize(
        {
          client: async () => server.current ?? (await server.restart()),
          status,
          review,
          lessonsChanged: () => lessons.refresh(),
          log,
        },
        arg as OptimizeArgument | undefined,
      ),
    ),
    command(Commands.sweepHotspots, (arg) =>
      runSweep({ client: async () => server.current ?? (await server.restart()), review, log }, arg as SweepArgument | undefined),
    ),
    command(Commands.showPastSweep, (arg) =>
      showPastSweep({ client: async () => server.current ?? (await server.restart()), review, log }, arg as SweepArgument | undefined),
    ),
    command(Commands.acceptProposal, (target) => review.accept(target)),
    command(Commands.acceptChange, (target) => review.acceptChange(target)),
    command(Commands.rejectProposal, (target) => review.reject(target)),
    command(Commands.showProposalSummary, (target) => review.showSummary(target)),
    command(Commands.restartServer, async () => {
      if (await server.restart()) {
        void vscode.window.showInformationMessage('LessonL: server restarted.');
      }
    }),
    command(Commands.setApiKey, async () => {
      const name = await promptAndStoreApiKey(keys);
      if (name) {
        log.info(`API key ${name} updated; restarting the server so it sees it.`);
        await server.restart();
      }
    }),
    command(Commands.showLog, () => log.show()),
    command(Commands.refreshLessons, () => lessons.refresh()),
    command(Commands.searchLessons, () => lessons.search()),
    command(Commands.clearLessonSearch, () => lessons.setQuery(undefined)),
    command(Commands.forgetLesson, (lesson) => lessons.forget(lesson as LessonRecord | undefined)),
    // In a multi-root workspace the active file picks the project, hence the bank shown.
    vscode.window.onDidChangeActiveTextEditor((editor) => {
      const folder = editor && vscode.workspace.getWorkspaceFolder(editor.document.uri)?.uri.toString();
      if (folder && folder !== shownFolder) {
        shownFolder = folder;
        lessons.refresh();
      }
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      // The server pulls the run settings (workspace/configuration) at each run; only a new
      // interpreter needs a new process.
      if (event.affectsConfiguration(`${CONFIG_SECTION}.interpreter`)) {
        void server.restart();
      }
    }),
  );

  void watchPythonExtension(() => {
    if (!interpreterSetting(firstWorkspaceFolder())) {
      void server.restart();
    }
  }, log).then((subscription) => subscription && context.subscriptions.push(subscription));

  void server.start();
  return { server, review, lessons, status, keys, log };
}
