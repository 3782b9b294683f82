import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { activateWith } from '../src/activate';
import { Commands } from '../src/constants';
import { ApiKeyStore } from '../src/secrets';
import type { LaunchSpec } from '../src/server';
import { FakeClient } from './fakeClient';
import { fakeContext, fakeServerPackageDir } from './helpers';
import { MemorySecretStorage, stub } from './vscode-stub';

const KEY = 'sk-ant-test-0123456789abcdef';

describe('API keys', () => {
  const savedPath = process.env.PYTHONPATH;
  beforeEach(() => {
    stub.reset();
    process.env.PYTHONPATH = fakeServerPackageDir();
    stub.state.settings.set('lessonl.interpreter', 'python3');
  });
  afterEach(() => {
    process.env.PYTHONPATH = savedPath;
  });

  it('"Set API Key" stores the key in SecretStorage and restarts the server with it in its environment, not in settings or logs', async () => {
    const specs: LaunchSpec[] = [];
    const context = fakeContext();
    const api = activateWith(context, (spec) => {
      specs.push(spec);
      return new FakeClient();
    });
    await api.server.idle();
    expect(specs[0].env.ANTHROPIC_API_KEY).toBe(process.env.ANTHROPIC_API_KEY);

    stub.state.answers.push(0, KEY); // provider: Anthropic; then the key
    await stub.state.commands.get(Commands.setApiKey)!();
    await api.server.idle();

    expect(stub.state.inputBoxes.at(-1)?.password).toBe(true);
    expect(specs).toHaveLength(2);
    expect(specs[1].env.ANTHROPIC_API_KEY).toBe(KEY);
    expect(JSON.parse(context.secrets.values.get('lessonl.apiKeys')!)).toEqual({ ANTHROPIC_API_KEY: KEY });

    expect(stub.state.settingWrites).toEqual([]);
    const everything = JSON.stringify([...stub.state.settings.values()]);
    expect(everything).not.toContain(KEY);
    for (const channel of stub.state.channels) {
      expect(channel.lines.join('\n')).not.toContain(KEY);
    }
    expect(JSON.stringify(stub.state.messages)).not.toContain(KEY);
    // The key was not put into this process's own environment either.
    expect(process.env.ANTHROPIC_API_KEY).not.toBe(KEY);
  });

  it('takes a custom variable name (api_key_env) and removes a key set to empty', async () => {
    const store = new ApiKeyStore(new MemorySecretStorage() as any);
    await store.set('QWEN_KEY', 'abc');
    await store.set('OPENAI_API_KEY', 'def');
    await store.set('OPENAI_API_KEY', '');
    const env = await store.serverEnvironment({ PATH: '/usr/bin', QWEN_KEY: 'old' });
    expect(env).toEqual({ PATH: '/usr/bin', QWEN_KEY: 'abc' });
    await expect(store.set('1BAD NAME', 'x')).rejects.toThrow('not a valid environment variable name');
  });

  it('asks for the variable name when the provider is "Other…"', async () => {
    const context = fakeContext();
    const specs: LaunchSpec[] = [];
    const api = activateWith(context, (spec) => {
      specs.push(spec);
      return new FakeClient();
    });
    await api.server.idle();
    stub.state.answers.push(2, 'QWEN_KEY', 'q-secret');
    await stub.state.commands.get(Commands.setApiKey)!();
    await api.server.idle();
    expect(specs.at(-1)?.env.QWEN_KEY).toBe('q-secret');
  });

  it('backing out of the dialog changes nothing and keeps the server', async () => {
    const context = fakeContext();
    let created = 0;
    const api = activateWith(context, () => {
      created++;
      return new FakeClient();
    });
    await api.server.idle();
    stub.state.answers.push(1, undefined); // OpenAI, then Escape in the key box
    await stub.state.commands.get(Commands.setApiKey)!();
    await api.server.idle();
    expect(created).toBe(1);
    expect(context.secrets.values.size).toBe(0);
  });
});
