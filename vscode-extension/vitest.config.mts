import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// VS Code cannot be downloaded here, so `vscode` resolves to a small stub with real behaviour
// (documents, edits, events, cancellation) that the tests drive.
export default defineConfig({
  resolve: {
    alias: { vscode: fileURLToPath(new URL('./test/vscode-stub.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
