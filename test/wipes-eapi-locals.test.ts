/**
 * Wipes in EAPI verification (issue 13, SPEC.md §8.4): verifyEapi derives the EAPI secret and the
 * expected HMAC for every request and must zero both once compared. Neither leaves the function,
 * so this file wraps the real deriveEapi and hmac (vi.mock keeps their implementations) and keeps
 * a reference to each array they return while verifyEapi runs.
 */
import { describe, expect, it, vi } from 'vitest';
import type * as Derive from '../bindings/e2e2/derive.js';
import type * as Hmac from '../bindings/core/hmac.js';

let recording = false;
const returned: Uint8Array[] = [];
vi.mock('../bindings/e2e2/derive.js', async (importOriginal) => {
  const real = await importOriginal<typeof Derive>();
  return {
    ...real,
    deriveEapi: (...args: Parameters<typeof real.deriveEapi>) => {
      const secret = real.deriveEapi(...args);
      if (recording) returned.push(secret);
      return secret;
    },
  };
});
vi.mock('../bindings/core/hmac.js', async (importOriginal) => {
  const real = await importOriginal<typeof Hmac>();
  const hmac = Object.assign((...args: Parameters<typeof real.hmac>) => {
    const mac = real.hmac(...args);
    if (recording) returned.push(mac);
    return mac;
  }, real.hmac);
  return { ...real, hmac };
});

const { generateApiKey } = await import('../bindings/index.js');
const { handshakePair } = await import('./helpers/handshake.js');
const NOW = 1_800_000_000_000;
const GET = { method: 'GET', path: '/a' };

describe('verifyEapi temporaries', () => {
  it('the derived EAPI secret and the expected MAC are zero afterwards, for a valid and for a forged request', async () => {
    const { client, server } = await handshakePair(generateApiKey());
    const auth = client.issueEapi({ scope: 's', expiresAt: NOW + 60_000 }).sign({ ...GET, timestamp: NOW });
    for (const path of ['/a', '/other']) {
      returned.length = 0;
      recording = true;
      try {
        server.verifyEapi({ authorization: auth, method: 'GET', path, now: NOW + (path === '/a' ? 0 : 1), requiredScope: 's' });
      } catch (error) {
        expect((error as { code: string }).code).toBe('ERR_AUTHENTICATION_FAILED');
      } finally {
        recording = false;
      }
      expect(returned.length).toBe(2); // the secret, then the expected MAC
      expect(returned.map((a) => a.length)).toStrictEqual([32, 32]);
      expect(returned.every((a) => a.every((b) => b === 0))).toBe(true);
    }
  });
});
