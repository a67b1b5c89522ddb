// StrykerJS configuration (`npm run test:mutation`; README "Mutation testing").
// Stryker 10 needs Node >= 22: the script runs it under the `node` devDependency.
import { resolve } from 'node:path';

// Sandboxes live in .stryker-tmp/, so the tests' default `../shared` would point inside it.
process.env.E2E2_SHARED_DIR ??= resolve(import.meta.dirname, '../shared');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  coverageAnalysis: 'perTest',
  // Only the TypeScript that vitest runs; assembly/ (AssemblyScript decorators) is not JS-parseable.
  disableTypeChecks: '{bindings,test}/**/*.ts',
  mutate: ['bindings/noise/**/*.ts', 'bindings/e2e2/**/*.ts', 'bindings/channel/**/*.ts'],
  // The sandbox must hold the embedded WASM modules (bindings/core/wasm-*.generated.ts, git-ignored,
  // written by `npm run build:wasm`); only build output the tests do not import is left out.
  ignorePatterns: ['dist', 'build', 'reports', 'bench/results', '.vitest-cache'],
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  timeoutMS: 60_000,
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
