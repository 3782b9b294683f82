/**
 * The run settings the server needs: sent as initializationOptions at start, and returned for
 * `workspace/configuration` requests on section `lessonl`, so both paths give the server the
 * same shape. A setting left empty (null) is omitted, so the project's lessonl.toml decides.
 *
 * Values are passed on as the user wrote them, never checked or dropped here: the engine
 * validates them once, with lessonl.toml's own rules, and a bad one fails the run with one line
 * naming the setting ("settings: lessonl.rounds: expected an integer >= 1, got 0; fix the
 * setting"). The keys are package.json's run settings, which a server test holds to the
 * server's table (server/settings.py).
 */
import * as vscode from 'vscode';
import { CONFIG_SECTION } from './constants';

export interface ServerSettings {
  rounds?: unknown;
  lessonsPerPrompt?: unknown;
  maxWallSeconds?: unknown;
  maxCostUsd?: unknown;
}

export const RUN_SETTING_KEYS = ['rounds', 'lessonsPerPrompt', 'maxWallSeconds', 'maxCostUsd'] as const;

export function readServerSettings(scope?: vscode.ConfigurationScope): ServerSettings {
  const config = vscode.workspace.getConfiguration(CONFIG_SECTION, scope);
  const out: ServerSettings = {};
  for (const key of RUN_SETTING_KEYS) {
    const value = config.get<unknown>(key);
    if (value !== null && value !== undefined) {
      out[key] = value;
    }
  }
  return out;
}

export function interpreterSetting(scope?: vscode.ConfigurationScope): string | undefined {
  return vscode.workspace.getConfiguration(CONFIG_SECTION, scope).get<string>('interpreter') || undefined;
}
