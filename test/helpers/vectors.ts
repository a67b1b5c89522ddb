/**
 * Access to the shared public test vectors in ../shared/vectors (never copied into this repo).
 * When the folder is absent, `loadSharedVectors` returns undefined and prints why, and the
 * suites that need it are skipped with that reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** `E2E2_SHARED_DIR` overrides the default `../shared` next to the repository. */
export const SHARED_DIR = process.env.E2E2_SHARED_DIR ?? resolve(repoRoot, '../shared');

/** Parse a JSON file under shared/vectors, or undefined (with a printed reason) when it is missing. */
export function loadSharedVectors<T = unknown>(relativePath: string): T | undefined {
  const path = resolve(SHARED_DIR, 'vectors', relativePath);
  if (!existsSync(path)) {
    console.warn(`[vectors] skipping: ${path} not found (../shared is absent or incomplete)`);
    return undefined;
  }
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function unhex(text: string): Uint8Array {
  if (text.length % 2 !== 0 || /[^0-9a-fA-F]/.test(text)) throw new Error(`bad hex: ${text.slice(0, 16)}`);
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** Number of fast-check cases per property: 10,000 by default, `E2E2_FUZZ_RUNS` raises it. */
export const FUZZ_RUNS = Number(process.env.E2E2_FUZZ_RUNS ?? 10_000);

/** Wycheproof test-group file shape (the fields the suites use). */
export interface WycheproofFile<G> {
  algorithm: string;
  numberOfTests: number;
  testGroups: G[];
}
