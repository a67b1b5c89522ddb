/**
 * Wipes in RFC 9421 EAPI verification (issue 13, SPEC.md §8.6): verifyEapiHttpRequest derives the
 * EAPI secret and the expected HMAC for every request, and for an unknown session a random root;
 * it must zero each once used. None leaves the function, so this file wraps the real deriveEapi,
 * hmac and randomBytes (vi.mock keeps their implementations) and keeps a reference to each array
 * they return while a verification runs.
 */
import { describe, expect, it, vi } from 'vitest';
import type * as Derive from '../bindings/e2e2/derive.js';
import type * as Hmac from '../bindings/core/hmac.js';
import type * as Encoding from '../bindings/e2e2/encoding.js';

let recording = false;
const returned: { from: string; bytes: Uint8Array }[] = [];
vi.mock('../bindings/e2e2/derive.js', async (importOriginal) => {
  const real = await importOriginal<typeof Derive>();
  return {
    ...real,
    deriveEapi: (...args: Parameters<typeof real.deriveEapi>) => {
      const secret = real.deriveEapi(...args);
      if (recording) returned.push({ from: 'deriveEapi', bytes: secret });
      return secret;
    },
  };
});
vi.mock('../bindings/core/hmac.js', async (importOriginal) => {
  const real = await importOriginal<typeof Hmac>();
  const hmac = Object.assign((...args: Parameters<typeof real.hmac>) => {
    const mac = real.hmac(...args);
    if (recording) returned.push({ from: 'hmac', bytes: mac });
    return mac;
  }, real.hmac);
  return { ...real, hmac };
});
vi.mock('../bindings/e2e2/encoding.js', async (importOriginal) => {
  const real = await importOriginal<typeof Encoding>();
  return {
    ...real,
    randomBytes: (length: number) => {
      const bytes = real.randomBytes(length);
      if (recording) returned.push({ from: 'randomBytes', bytes });
      return bytes;
    },
  };
});

const { MemoryReplayStore } = await import('../bindings/e2e2/eapi-stores.js');
const { Eapi } = await import('../bindings/e2e2/eapi.js');
const { signEapiHttpRequest, verifyEapiHttpRequest } = await import('../bindings/e2e2/eapi-http.js');
const NOW = 1_800_000_000_000;
const GET = { method: 'GET', url: 'https://api.example.com/a' };
// An Eapi built on a root the test owns, so the test can check that verification never writes to it.

describe('verifyEapiHttpRequest temporaries', () => {
  it('the derived secret, the expected MAC and an unknown session’s random root are zero afterwards; the real root is not touched', async () => {
    const sessionRoot = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
    const eapi = new Eapi(sessionRoot, new Uint8Array(16).fill(0xab), { index: 0, scope: 's', expiresAt: NOW + 60_000 });
    const request = { ...GET, headers: { ...signEapiHttpRequest(eapi, GET, { now: NOW }) } };
    const cases = [
      { name: 'valid', request, known: true },
      { name: 'forged', request: { ...request, method: 'PUT' }, known: true },
      { name: 'unknown session', request, known: false },
    ];
    for (const c of cases) {
      returned.length = 0;
      recording = true;
      try {
        await verifyEapiHttpRequest(c.request, {
          now: NOW,
          replay: new MemoryReplayStore(),
          lookupSession: () => (c.known ? { eapiRoot: sessionRoot, keyId: 'k' } : undefined),
        });
      } catch (error) {
        expect((error as { code: string }).code, c.name).toBe('ERR_AUTHENTICATION_FAILED');
      } finally {
        recording = false;
      }
      const from = returned.map((r) => r.from);
      expect(from, c.name).toStrictEqual(c.known ? ['deriveEapi', 'hmac'] : ['randomBytes', 'deriveEapi', 'hmac']);
      expect(returned.every((r) => r.bytes.length === 32 && r.bytes.every((b) => b === 0)), c.name).toBe(true);
      expect(sessionRoot, c.name).toStrictEqual(Uint8Array.from({ length: 32 }, (_, i) => i + 1));
    }
  });
});
