/**
 * Wipes of the K1/K2/K3 intermediates (issue 13): the handshake's locals never leave it, so this
 * file wraps the real functions that produce them (vi.mock keeps their implementations) to keep a
 * reference to every array they return: K1 is the X25519 output of the `ee` token, K2 the final
 * chaining key handed to deriveK3, K3 its three outputs. Each must be zero once the handshake
 * finished or failed; the session keeps copies (its own arrays; test/wipes.test.ts covers those).
 */
import { describe, expect, it, vi } from 'vitest';
import type * as Derive from '../bindings/e2e2/derive.js';
import type * as X from '../bindings/core/x25519.js';

const returned: Uint8Array[] = [];
/** The secret inputs: the ephemeral private key given to the DH, and K2 given to deriveK3. */
const secretInputs: Uint8Array[] = [];
vi.mock('../bindings/core/x25519.js', async (importOriginal) => {
  const real = await importOriginal<typeof X>();
  const x25519 = Object.freeze({
    ...real.x25519,
    getSharedSecret: (secretKey: Uint8Array, publicKey: Uint8Array) => {
      secretInputs.push(secretKey);
      const k1 = real.x25519.getSharedSecret(secretKey, publicKey);
      returned.push(k1);
      return k1;
    },
  });
  return { ...real, x25519 };
});
vi.mock('../bindings/e2e2/derive.js', async (importOriginal) => {
  const real = await importOriginal<typeof Derive>();
  return {
    ...real,
    deriveK3: (...args: Parameters<typeof real.deriveK3>) => {
      secretInputs.push(args[0]);
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
  it('after a successful handshake on both sides, with the ephemeral private keys', async () => {
    returned.length = 0;
    secretInputs.length = 0;
    const c = createClientHandshake({ apiKey: KEY.token });
    const s = createServerHandshake({ resolveKey: () => KEY.secret });
    const { message2, session } = await s.respond(c.writeMessage1());
    const client = c.readMessage2(message2);
    expect(returned.length).toBe(8); // per side: K1, 3 x K3
    expect(returned.filter((a) => !zero(a)).length).toBe(0);
    expect(secretInputs.length).toBe(4); // per side: its ephemeral private key and K2
    expect(secretInputs.filter((a) => !zero(a)).length).toBe(0);
    expect(KEY.secret.some((b) => b !== 0)).toBe(true); // the caller's own array is never written to
    expect(client.state).toBe('established');
    expect(session.open(client.seal(new Uint8Array([7]))).type).toBe('data');
  });

  it('after a failed readMessage2 (wrong API key): the K1 of the attempt', async () => {
    const c = createClientHandshake({ apiKey: KEY.token });
    const other = generateApiKey();
    const s = createServerHandshake({ resolveKey: () => other.secret });
    const { message2 } = await s.respond(c.writeMessage1());
    returned.length = 0;
    expect(() => c.readMessage2(message2)).toThrow();
    expect(returned.length).toBe(1); // K1; no K3
    expect(returned.filter((a) => !zero(a)).length).toBe(0);
  });
});
