/**
 * Wipes of the K1/K2/K3 intermediates (issue 13): the handshake's locals never leave it, so this
 * file wraps the real derive.js functions (vi.mock with the original implementations) to keep a
 * reference to every array they return, then checks that each one is zero once the handshake
 * finished or failed. The session keeps copies (its own arrays; test/wipes.test.ts covers those).
 */
import { describe, expect, it, vi } from 'vitest';
import type * as Derive from '../bindings/e2e2/derive.js';

const returned: Uint8Array[] = [];
/** The secret inputs: the ephemeral private key given to deriveK1, the API key (PSK) given to deriveK2. */
const secretInputs: Uint8Array[] = [];
vi.mock('../bindings/e2e2/derive.js', async (importOriginal) => {
  const real = await importOriginal<typeof Derive>();
  return {
    ...real,
    deriveK1: (...args: Parameters<typeof real.deriveK1>) => {
      secretInputs.push(args[0]);
      const k1 = real.deriveK1(...args);
      returned.push(k1);
      return k1;
    },
    deriveK2: (...args: Parameters<typeof real.deriveK2>) => {
      secretInputs.push(args[2]);
      const out = real.deriveK2(...args);
      returned.push(out.k2, out.hashInput, out.cipherKey);
      return out;
    },
    deriveK3: (...args: Parameters<typeof real.deriveK3>) => {
      const k3 = real.deriveK3(...args);
      returned.push(k3.initiatorToResponder, k3.responderToInitiator, k3.exporter);
      return k3;
    },
  };
});

const { createClientHandshake, createServerHandshake, generateApiKey } = await import('../bindings/index.js');
const KEY = generateApiKey();
const zero = (a: Uint8Array): boolean => a.every((b) => b === 0);

describe('K1, K2 and K3 intermediates are wiped', () => {
  it('after a successful handshake on both sides, with the ephemeral private keys and API key copies', async () => {
    returned.length = 0;
    secretInputs.length = 0;
    const c = createClientHandshake({ apiKey: KEY.token });
    const s = createServerHandshake({ resolveKey: () => KEY.secret });
    const { message2, session } = await s.respond(c.writeMessage1());
    const client = c.readMessage2(message2);
    expect(returned.length).toBe(14); // per side: k1, k2, hashInput, cipherKey, 3 x K3
    expect(returned.filter((a) => !zero(a)).length).toBe(0);
    expect(secretInputs.length).toBe(4); // per side: its ephemeral private key and its copy of the API key
    expect(secretInputs.filter((a) => !zero(a)).length).toBe(0);
    expect(KEY.secret.some((b) => b !== 0)).toBe(true); // the caller's own array is never written to
    expect(client.state).toBe('established');
    expect(session.open(client.seal(new Uint8Array([7]))).type).toBe('data');
  });

  it('after a failed readMessage2 (wrong API key): the K1 and K2 of the attempt', async () => {
    const c = createClientHandshake({ apiKey: KEY.token });
    const other = generateApiKey();
    const s = createServerHandshake({ resolveKey: () => other.secret });
    const { message2 } = await s.respond(c.writeMessage1());
    returned.length = 0;
    expect(() => c.readMessage2(message2)).toThrow();
    expect(returned.length).toBe(4); // k1, k2, hashInput, cipherKey; no K3
    expect(returned.filter((a) => !zero(a)).length).toBe(0);
  });
});
