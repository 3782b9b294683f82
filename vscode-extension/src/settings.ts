/**
 * The run settings the server needs: sent as initializationOptions at start, and returned for
 * `workspace/configuration` requests on section `lessonl`, so both paths give the server the
 * same shape. A setting left empty (null) is omitted, so the project's lessonl.toml decides.
 */
import * as vscode from 'vscode';
import { CONFIG_SECTION } from './constants';

export interface ServerSettings {
  rounds?: number;
  lessonsPerPrompt?: number;
  maxWallSeconds?: number;
  maxCostUsd?: number;
}

const KEYS = ['rounds', 'lessonsPerPrompt', 'maxWallSeconds', 'maxCostUsd'] as const;

export function readServerSettings(scope?: vscode.ConfigurationScope): ServerSettings {
  const config = vscode.workspace.getConfiguration(CONFIG_SECTION, scope);
  const out: ServerSettings = {};
  for (const key of KEYS) {
    const value = config.get<number | null>(key);
    if (typeof value === 'number' && Number.isFinite(value)) {
      out[key] = value;
    }
  }
  return out;
}

export function interpreterSetting(scope?: vscode.ConfigurationScope): string | undefined {
  return vscode.workspace.getConfiguration(CONFIG_SECTION, scope).get<string>('interpreter') || undefined;
}
