/**
 * Vitest configuration for mutation testing only (`npm run test:mutation`, stryker.config.mjs):
 * the fast unit suites of the Noise and E2-E2 layers (EAPI over HTTP and the signing fetch included), of the channel layer (the close-code
 * table; test/mutation-kills-channel-*.test.ts run the Channel over an in-memory socket pair) and the key store's in-process suites,
 * not the channel-over-network, hostile, CLI or browser suites (child processes and sockets, minutes per run); the channel server,
 * client and TCP adapter are covered by their fast loopback kill tests (test/mutation-kills-*.test.ts). Property tests run fewer cases here:
 * each of about 1,200 mutants reruns the tests that cover it.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/noise.test.ts',
      'test/noise-pattern.test.ts',
      'test/noise-hfs.test.ts',
      'test/e2e2-eapi.test.ts',
      'test/e2e2-handshake.test.ts',
      'test/e2e2-session.test.ts',
      'test/e2e2-hybrid.test.ts',
      'test/eapi-http.test.ts',
      'test/eapi-registry.test.ts',
      'test/eapi-fetch.test.ts',
      'test/protocol-vectors.test.ts',
      'test/channel-close-codes.test.ts',
      'test/mutation-kills-*.test.ts',
      'test/wipes*.test.ts',
      // bindings/channel key store (keystore*.ts): in-process suites only; the kill -9 writers
      // (test/channel-keystore-crash.test.ts) take a minute per run.
      'test/channel-keystore.test.ts',
      'test/channel-keystore-lock.test.ts',
      'test/channel-keystore-permissions.test.ts',
    ],
    env: { E2E2_FUZZ_RUNS: process.env.E2E2_FUZZ_RUNS ?? '200' },
    testTimeout: 120_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
