/**
 * API keys: kept in VS Code's SecretStorage (the OS keychain), handed to the server process
 * through its environment on every (re)start, and nowhere else: never in settings, never in a
 * log line. The engine reads keys by environment variable name (`api_key_env` in
 * lessonl.toml, or ANTHROPIC_API_KEY / OPENAI_API_KEY for the default team), so the name
 * the user picks here is the name the engine will look up.
 */
import * as vscode from 'vscode';

/** One secret entry holds a JSON object `{ENV_NAME: key}`; names are not secret but live with keys. */
const SECRET_KEY = 'lessonl.apiKeys';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class ApiKeyStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  async all(): Promise<Record<string, string>> {
    const raw = await this.secrets.get(SECRET_KEY);
    if (!raw) {
      return {};
    }
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('LessonL: stored API keys are unreadable; set them again with "LessonL: Set API Key".');
    }
    return Object.fromEntries(
      Object.entries(parsed as Record<string, unknown>).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
  }

  /** Stores `value` for `envName`; an empty value removes it. */
  async set(envName: string, value: string): Promise<void> {
    if (!ENV_NAME.test(envName)) {
      throw new Error(`LessonL: "${envName}" is not a valid environment variable name.`);
    }
    const keys = await this.all();
    if (value) {
      keys[envName] = value;
    } else {
      delete keys[envName];
    }
    await this.secrets.store(SECRET_KEY, JSON.stringify(keys));
  }

  /** The server's environment: this process's, plus the stored keys (stored keys win). */
  async serverEnvironment(base: NodeJS.ProcessEnv = process.env): Promise<NodeJS.ProcessEnv> {
    return { ...base, ...(await this.all()) };
  }
}

interface ProviderPick extends vscode.QuickPickItem {
  envName?: string;
}

export function validateEnvName(value: string): string | undefined {
  return ENV_NAME.test(value.trim()) ? undefined : 'Letters, digits and _ only, not starting with a digit';
}

/**
 * The "LessonL: Set API Key" command. Returns the variable name that was stored (or cleared),
 * undefined if the user backed out, so the caller can restart the server for it to take effect.
 */
export async function promptAndStoreApiKey(store: ApiKeyStore): Promise<string | undefined> {
  const picks: ProviderPick[] = [
    { label: 'Anthropic', description: 'ANTHROPIC_API_KEY', envName: 'ANTHROPIC_API_KEY' },
    { label: 'OpenAI', description: 'OPENAI_API_KEY', envName: 'OPENAI_API_KEY' },
    { label: 'Other…', description: 'the api_key_env name from lessonl.toml' },
  ];
  const pick = await vscode.window.showQuickPick(picks, {
    title: 'LessonL: Set API Key',
    placeHolder: 'Which provider is the key for?',
  });
  if (!pick) {
    return undefined;
  }
  let envName = pick.envName;
  if (!envName) {
    envName = (
      await vscode.window.showInputBox({
        title: 'LessonL: Set API Key',
        prompt: 'Environment variable name (as in api_key_env of lessonl.toml)',
        validateInput: validateEnvName,
      })
    )?.trim();
    if (!envName) {
      return undefined;
    }
  }
  const value = await vscode.window.showInputBox({
    title: `LessonL: ${envName}`,
    prompt: `Key for ${envName}, kept in the OS keychain (leave empty to remove it)`,
    password: true,
    ignoreFocusOut: true,
  });
  if (value === undefined) {
    return undefined;
  }
  await store.set(envName, value.trim());
  return envName;
}
