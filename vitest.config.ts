import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Differential tests run tens of thousands of cases; the machine is shared and slow at times.
    testTimeout: 600_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
