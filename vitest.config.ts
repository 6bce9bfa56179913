import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS (`main`) and ESM (`module`) builds without an `exports` map:
    // Node (and so graphql-yoga) loads the CommonJS one, vite would pick the ESM one for our
    // code, and graphql-js refuses types that cross the two ("from another realm").
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites share real servers; files run in parallel, each on its own throwaway databases.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
