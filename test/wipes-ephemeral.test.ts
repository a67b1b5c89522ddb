/**
 * Wipes of fresh ephemeral private keys on failure paths (issue 13). The key pair never leaves
 * the handshake, so this file wraps the real x25519.keygen (vi.mock keeps its implementation) to
 * hold a reference to each secret key it returns.
 */
import { describe, expect, it, vi } from 'vitest';
import type * as X from '../bindings/core/x25519.js';

const secretKeys: Uint8Array[] = [];
vi.mock('../bindings/core/x25519.js', async (importOriginal) => {
  const real = await importOriginal<typeof X>();
  const x25519 = Object.freeze({
    ...real.x25519,
    keygen: (seed?: Uint8Array) => {
      const pair = real.x25519.keygen(seed);
      secretKeys.push(pair.secretKey);
      return pair;
    },
  });
  return { ...real, x25519 };
});

const { HandshakeState } = await import('../bindings/noise/handshake-state.js');
const { createClientHandshake, createServerHandshake, generateApiKey } = await import('../bindings/index.js');
const { bytesFromSeed } = await import('./helpers/random.js');
const zero = (a: Uint8Array): boolean => a.every((b) => b === 0);

describe('fresh ephemeral private keys', () => {
  it('Noise: a writeMessage that fails after generating its ephemeral (no PSK yet) zeroes it; the retry uses a new one', () => {
    const initiator = new HandshakeState({ role: 'initiator', psk: bytesFromSeed(1, 32) });
    const responder = new HandshakeState({ role: 'responder' });
    responder.readMessage(initiator.writeMessage());
    secretKeys.length = 0;
    expect(() => responder.writeMessage()).toThrow('psk is not set');
    expect(secretKeys.length).toBe(1);
    expect(zero(secretKeys[0]!)).toBe(true);
    responder.setPsk(bytesFromSeed(1, 32));
    initiator.readMessage(responder.writeMessage());
    expect(secretKeys.length).toBe(2);
    expect(zero(secretKeys[1]!)).toBe(true); // wiped once the handshake completed
  });

  it('E2-E2 server: its ephemeral private key is zeroed once respond() returns', async () => {
    const KEY = generateApiKey();
    const s = createServerHandshake({ resolveKey: () => KEY.secret });
    const c = createClientHandshake({ apiKey: KEY.token });
    secretKeys.length = 0;
    const { session } = await s.respond(c.writeMessage1());
    expect(secretKeys.length).toBe(2); // client's, then server's
    expect(zero(secretKeys[1]!)).toBe(true);
    expect(session.state).toBe('pending');
  });
});
