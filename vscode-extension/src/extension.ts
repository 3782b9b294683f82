/** Entry point (dist/extension.js): the real language client behind activateWith. */
import type * as vscode from 'vscode';
import { activateWith, type ExtensionApi } from './activate';
import { createLanguageClient } from './languageClient';

let api: ExtensionApi | undefined;

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  api = activateWith(context, createLanguageClient);
  return api;
}

export async function deactivate(): Promise<void> {
  await api?.server.stop();
  api = undefined;
}
