import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExtensionContext } from 'vscode';
import type { OptimizeResult } from '../src/protocol';
import { MemorySecretStorage } from './vscode-stub';

/** A folder holding an importable (empty) `lessonl_server` package, for the real install check. */
export function fakeServerPackageDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lessonl-ext-'));
  mkdirSync(join(dir, 'lessonl_server'));
  writeFileSync(join(dir, 'lessonl_server', '__init__.py'), '');
  return dir;
}

export function fakeContext(): ExtensionContext & { secrets: MemorySecretStorage } {
  return { subscriptions: [], secrets: new MemorySecretStorage() } as unknown as ExtensionContext & {
    secrets: MemorySecretStorage;
  };
}

export function optimizeResult(overrides: Partial<OptimizeResult> = {}): OptimizeResult {
  return {
    proposalId: 'p-1',
    uri: 'file:///proj/src/hist.hpp',
    baseVersion: 1,
    newText: 'int hist() { return 2; }\n',
    summary: 'hist: 3.1x faster (correct, 7 timing pairs)',
    report: {
      run_id: 'run-1',
      target: 'histogram',
      function: 'hist',
      best: {
        speedup: 3.12,
        ci95: [3.01, 3.25],
        code: 'int hist() { return 2; }',
        diff: '',
        agent: 'qwen7b',
        round: 2,
        lessons: ['L1', 'L2'],
      },
      rounds: [],
      lessons_added: 1,
      usage: { input_tokens: 1200, output_tokens: 300, cost_usd: 0.0123 },
      wall_s: 42,
      stopped: null,
    },
    ...overrides,
  };
}

/** Lets queued promise callbacks run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
