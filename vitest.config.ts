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
    // One file at a time: the end-to-end suites run sshd, Chromium, wardd and ward-unixd with
    // latency bounds ("within 1 s", "within 2 s"); on a 2-core machine two such files side by side
    // starve each other (Chromium was seen to die under that load). Serial costs a few minutes
    // of CI time and removes that interference.
    fileParallelism: false,
    reporters: ['default'],
  },
});
