/**
 * "Pay for what you import" (issue 10 item 3): what a browser app bundles for one primitive. Each entry is
 * bundled from the built package with esbuild (minify, ESM, platform browser) and gzipped at level 9
 * (scripts/bundle-sizes.mjs, which also measures @noble/* and libsodium.js for the README table).
 * Besides the byte budgets, each bundle must carry exactly the WASM modules of what it imports.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, ROOT } from './helpers/cli.js';
// @ts-expect-error: a plain .mjs script without declarations
import { E2E2_ENTRIES, E2E2_PARTS, bundleSize } from '../scripts/bundle-sizes.mjs';

interface Entry { name: string; budget: number; code: string }
const entries = E2E2_ENTRIES as Entry[];
const partsOf = E2E2_PARTS as Record<string, string[]>;
const PARTS = ['sha2', 'aead', 'x25519', 'mlkem'];

/** 64 hex digits from the middle of a part's embedded module (the start is the same WASM header in all). */
function marker(part: string): string {
  const text = readFileSync(join(ROOT, `bindings/core/wasm-${part}.generated.ts`), 'utf8');
  const hex = /_HEX = '([0-9a-f]+)'/.exec(text)![1]!;
  return hex.slice(hex.length >> 1, (hex.length >> 1) + 64);
}

describe('bundle sizes (esbuild, minified, gzip -9)', () => {
  it('each entry is within its budget and carries only the WASM modules it uses', async () => {
    assertBuilt();
    const rows: string[] = [];
    for (const entry of entries) {
      const size = await bundleSize(entry.code);
      rows.push(`${entry.name.padEnd(58)} ${(size.gzip / 1024).toFixed(1).padStart(6)} KB gzip (budget ${(entry.budget / 1024).toFixed(0)} KB), ${(size.minified / 1024).toFixed(1)} KB minified`);
      const carried = PARTS.filter((part) => size.text.includes(marker(part)));
      expect(carried, entry.name).toEqual(partsOf[entry.name]);
      expect(size.gzip, `${entry.name}: ${size.gzip} bytes gzip`).toBeLessThanOrEqual(entry.budget);
    }
    console.log(rows.join('\n'));
  }, 120_000);
});
