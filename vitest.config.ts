import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Each e2e file starts its own fakes and bot on ephemeral ports, so files can run in parallel.
    pool: 'forks',
  },
});
