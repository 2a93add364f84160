import { defineConfig } from 'vitest/config'

/**
 * The fault suite (`npm run test:faults`): Gaizao as a child process against a private PostgreSQL cluster
 * that the tests restart, freeze and kill under it. Slow (minutes), so apart from `npm test`; one file at
 * a time, since each starts its own cluster and processes.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
