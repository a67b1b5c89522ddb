/**
 * Wipes of bindings/channel/keys.ts's temporaries (issue 13): the generated key's raw secret once
 * it is encoded for the store, and the decoded secret once apiKeyToken formatted the token. Neither
 * leaves its function, so this file wraps the real functions that produce them (vi.mock keeps their
 * implementations), keeps each array they return, and checks it is zero afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type * as ApiKey from '../bindings/e2e2/api-key.js';
import type * as Encoding from '../bindings/e2e2/encoding.js';
import { apiKeyToken, openKeyStore } from '../bindings/channel/keys.js';

const generated: Uint8Array[] = [];
const decoded: Uint8Array[] = [];
vi.mock('../bindings/e2e2/api-key.js', async (importOriginal) => {
  const real = await importOriginal<typeof ApiKey>();
  return {
    ...real,
    generateApiKey: () => {
      const key = real.generateApiKey();
      generated.push(key.secret);
      return key;
    },
  };
});
vi.mock('../bindings/e2e2/encoding.js', async (importOriginal) => {
  const real = await importOriginal<typeof Encoding>();
  return {
    ...real,
    fromBase64UrlConstantTime: (text: string) => {
      const bytes = real.fromBase64UrlConstantTime(text);
      if (bytes) decoded.push(bytes);
      return bytes;
    },
  };
});

describe('keys: temporaries are wiped', () => {
  it('the raw secret of a created key, and the decoded secret behind a token', () => {
    const dir = mkdtempSync(join(tmpdir(), 'e2e2-keys-wipe-'));
    try {
      const store = openKeyStore(join(dir, 'keys.json'));
      const key = store.create();
      expect(generated.length).toBe(1);
      expect(generated[0]!.length).toBe(32);
      expect(generated[0]!.every((b) => b === 0)).toBe(true);
      const before = decoded.length;
      const token = apiKeyToken(key);
      expect(token.startsWith(`e2e2_${key.id}_`)).toBe(true);
      const mine = decoded.slice(before);
      expect(mine.length).toBe(1);
      expect(mine[0]!.length).toBe(32);
      expect(mine[0]!.every((b) => b === 0)).toBe(true);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
