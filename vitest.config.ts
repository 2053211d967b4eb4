import { defineConfig } from 'vitest/config';

// One `npm test` runs every suite: unit tests beside the code (packages/*/src/**/*.test.ts) and the
// end-to-end suites against real programs (test/**/*.test.ts). Tests import the built `dist/`
// of other packages through the workspace links, so `npm test` builds first.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
