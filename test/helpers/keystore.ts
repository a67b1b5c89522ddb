/** Key store test helpers: a private temporary directory per test, typed-error checks, and the store bundled for child processes. */
import { afterEach, beforeEach, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { isE2E2Error } from '../../bindings/errors.js';

/** 12-byte hex ids and 32-byte base64url secrets, like the E2-E2 generator. */
export const generate = () => ({ id: randomBytes(12).toString('hex'), secret: randomBytes(32).toString('base64url') });

/** A fresh directory for each test: `dir` (mkdtemp, 0700) and `path` = dir/sub/keys.json (sub does not exist yet). */
export function useTempStore(): { readonly dir: string; readonly path: string } {
  const state = { dir: '', path: '' };
  beforeEach(() => {
    state.dir = mkdtempSync(join(tmpdir(), 'e2e2-keystore-'));
    state.path = join(state.dir, 'sub', 'keys.json');
  });
  afterEach(() => rmSync(state.dir, { recursive: true, force: true }));
  return state;
}

export function expectKeyStoreError(fn: () => unknown, message: RegExp): Error {
  try {
    fn();
  } catch (error) {
    expect(isE2E2Error(error, 'ERR_KEY_STORE')).toBe(true);
    expect((error as Error).message).toMatch(message);
    return error as Error;
  }
  throw new Error('expected ERR_KEY_STORE');
}

/**
 * bindings/channel/keys.ts bundled into one ES module in `dir`, so that child processes start in
 * tens of milliseconds with plain node (the same source, compiled by esbuild as tsx would).
 */
export function bundleKeyStore(dir: string): string {
  const outfile = join(dir, 'keys.mjs');
  buildSync({
    entryPoints: [fileURLToPath(new URL('../../bindings/channel/keys.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

/** Whether this test may chown files to another user (root only); says why not, and fails under CI=true where it must run. */
export function canChown(): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env.CI) throw new Error('ownership tests need root (chown to another uid); CI runs as root');
  console.log('skipping ownership checks: they need root to chown a file to another user');
  return false;
}

/** A uid that is not ours (nobody). */
export const OTHER_UID = 65534;
