import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites share real servers; files run in parallel, each on its own throwaway databases.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
