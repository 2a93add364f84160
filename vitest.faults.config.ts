import { defineConfig } from 'vitest/config'

/**
 * The fault suite (`npm run test:faults`): Gaizao as a child process against a private PostgreSQL cluster
 * that the tests restart, freeze and kill under it, and the fuzz properties at 10,000 cases each (in
 * `npm test` the slower ones run a share). Slow (minutes), so apart from `npm test`; one file at a time,
 * since each starts its own cluster and processes.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts', 'test/fuzz/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup-secret.ts'],
    env: { FUZZ_FULL: '1' },
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
