import { defineConfig } from 'vitest/config';

// unit: engine modules on tiny graphs; integration: the CLI on the demo project; e2e: the browser host.
export default defineConfig({
  define: { __MEMLENS_VERSION__: JSON.stringify('test') },
  test: {
    // builds the engine's worker threads from the sources (infer/view-pool.ts finds them by env)
    globalSetup: ['test/support/workers.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 60_000 },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 300_000 },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 600_000, fileParallelism: false },
      },
    ],
  },
});
