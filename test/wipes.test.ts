/**
 * JavaScript-side wipes (issue 13): after dispose(), destroy(), split() or a failed step, the
 * arrays that held secrets are zero. The memory tests scan only WASM memory; these hold the live
 * arrays through the `...ForTestingOnly` hooks across the call and check every byte.
 */
import { describe, expect, it } from 'vitest';
import { CipherState } from '../bindings/noise/cipher-state.js';
import { HandshakeState } from '../bindings/noise/handshake-state.js';
import { SymmetricState } from '../bindings/noise/symmetric-state.js';
import { createClientHandshake, createServerHandshake, generateApiKey } from '../bindings/index.js';
import { sessionLiveSecretsForTestingOnly } from '../bindings/e2e2/session.js';
import { expectCode, flipBit } from './oracle/harness.js';
import { bytesFromSeed } from './helpers/random.js';

const psk = bytesFromSeed(11, 32);
const zero = (a: Uint8Array): boolean => a.every((b) => b === 0);
const nonZero = (a: Uint8Array): boolean => a.some((b) => b !== 0);

function handshakes() {
  const initiator = new HandshakeState({ role: 'initiator', psk, fixedEphemeralPrivateKeyForTestingOnly: bytesFromSeed(12, 32) });
  const responder = new HandshakeState({ role: 'responder', psk, fixedEphemeralPrivateKeyForTestingOnly: bytesFromSeed(13, 32) });
  return { initiator, responder };
}

describe('CipherState wipes', () => {
  it('destroy() zeroes the key array; initializeKey() zeroes the key it replaces', () => {
    const c = new CipherState();
    c.initializeKey(bytesFromSeed(14, 32));
    const first = c.liveKeyForTestingOnly()!;
    c.initializeKey(bytesFromSeed(15, 32));
    expect(zero(first)).toBe(true);
    const second = c.liveKeyForTestingOnly()!;
    expect(nonZero(second)).toBe(true);
    c.destroy();
    expect(zero(second)).toBe(true);
    expect(c.hasKey()).toBe(false);
    expect(c.nonce).toBe(0n);
  });

  it('rekey() overwrites the key in place and leaves no copy of the old one in the array', () => {
    const c = new CipherState();
    const k = bytesFromSeed(16, 32);
    c.initializeKey(k);
    const live = c.liveKeyForTestingOnly()!;
    c.rekey();
    expect(c.liveKeyForTestingOnly()).toBe(live);
    expect(Buffer.from(live).equals(Buffer.from(k))).toBe(false);
  });
});

describe('SymmetricState wipes', () => {
  it('destroy() zeroes ck and the cipher key; mixKey() zeroes the chaining key it replaces', () => {
    const s = SymmetricState.initialize();
    s.mixKey(bytesFromSeed(17, 32));
    const [ck, k] = s.liveSecretsForTestingOnly() as [Uint8Array, Uint8Array];
    s.mixKey(bytesFromSeed(18, 32));
    expect(zero(ck)).toBe(true);
    expect(zero(k)).toBe(true); // initializeKey wiped the replaced cipher key
    const [ck2, k2] = s.liveSecretsForTestingOnly() as [Uint8Array, Uint8Array];
    s.destroy();
    expect(zero(ck2)).toBe(true);
    expect(zero(k2)).toBe(true);
  });

  it('the chainingKey and handshakeHash getters return copies that outlive destroy()', () => {
    const s = SymmetricState.initialize();
    s.mixKey(bytesFromSeed(22, 32));
    const ck = s.chainingKey;
    const h = s.handshakeHash;
    s.destroy();
    expect(nonZero(ck) && nonZero(h)).toBe(true);
    expect(zero(s.chainingKey)).toBe(true);
  });

  it('assign() zeroes the chaining key it replaces and copies the source (no shared array)', () => {
    const a = SymmetricState.initialize();
    a.mixKey(bytesFromSeed(19, 32));
    const b = a.clone();
    b.mixKey(bytesFromSeed(20, 32));
    const [oldCk] = a.liveSecretsForTestingOnly() as [Uint8Array];
    a.assign(b);
    expect(zero(oldCk)).toBe(true);
    const [bCk] = b.liveSecretsForTestingOnly() as [Uint8Array];
    expect(a.liveSecretsForTestingOnly()[0]).not.toBe(bCk);
    b.destroy();
    expect(nonZero(a.liveSecretsForTestingOnly()[0]!)).toBe(true);
  });
});

describe('HandshakeState wipes', () => {
  it('dispose() mid-way zeroes ck, the cipher key, the ephemeral private key, the PSK and the fixed ephemeral', () => {
    const { initiator, responder } = handshakes();
    responder.readMessage(initiator.writeMessage());
    const live = initiator.liveSecretsForTestingOnly();
    expect(live.length).toBe(5); // ck, k, e, psk, fixed ephemeral
    expect(live.every(nonZero)).toBe(true);
    initiator.dispose();
    expect(live.every(zero)).toBe(true);
  });

  it('completing the handshake zeroes e, the PSK and the fixed ephemeral; split() zeroes ck and the handshake cipher key', () => {
    const { initiator, responder } = handshakes();
    responder.readMessage(initiator.writeMessage());
    const m2 = responder.writeMessage();
    const before = initiator.liveSecretsForTestingOnly();
    expect(before.length).toBe(5);
    initiator.readMessage(m2);
    const [, , e, p, fixed] = before as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    expect([e, p, fixed].every(zero)).toBe(true);
    for (const side of [initiator, responder]) {
      const [ck, k] = side.liveSecretsForTestingOnly() as [Uint8Array, Uint8Array];
      const [c1, c2] = side.splitCipherStates();
      expect(zero(ck)).toBe(true);
      expect(zero(k)).toBe(true);
      expect(nonZero(c1.liveKeyForTestingOnly()!) && nonZero(c2.liveKeyForTestingOnly()!)).toBe(true);
    }
  });

  it('a failed readMessage leaves the committed state intact and a failed writeMessage keeps no ephemeral', () => {
    const { initiator, responder } = handshakes();
    responder.readMessage(initiator.writeMessage());
    const m2 = responder.writeMessage();
    const tampered = m2.slice();
    tampered[tampered.length - 1]! ^= 1;
    const live = initiator.liveSecretsForTestingOnly();
    expectCode(() => initiator.readMessage(tampered), 'ERR_AUTHENTICATION_FAILED');
    expect(live.every(nonZero)).toBe(true);
    initiator.readMessage(m2);

    // Responder without a PSK: the write fails at the psk token after generating its ephemeral.
    const i2 = new HandshakeState({ role: 'initiator', psk });
    const r2 = new HandshakeState({ role: 'responder' });
    r2.readMessage(i2.writeMessage());
    expectCode(() => r2.writeMessage(), 'ERR_INVALID_STATE');
    expect(r2.liveSecretsForTestingOnly().length).toBe(2); // ck and k only: no ephemeral was kept
  });
});

describe('E2-E2 wipes', () => {
  const KEY = generateApiKey();

  it('ClientHandshake: dispose() after message 1 zeroes the API key copy, the ephemeral, the fixed ephemeral, ck and the cipher key', () => {
    const c = createClientHandshake({ apiKey: KEY.token, fixedEphemeralPrivateKeyForTestingOnly: bytesFromSeed(21, 32) });
    c.writeMessage1();
    const live = c.liveSecretsForTestingOnly();
    // its API key copy and fixed ephemeral; the Noise state's ck, cipher key, ephemeral, PSK and fixed ephemeral
    expect(live.length).toBe(7);
    expect(live.every(nonZero)).toBe(true);
    c.dispose();
    expect(live.every(zero)).toBe(true);
  });

  it('ClientHandshake: completing zeroes every handshake secret; a failed readMessage2 zeroes none of the committed ones', async () => {
    const c = createClientHandshake({ apiKey: KEY.token });
    const s = createServerHandshake({ resolveKey: () => KEY.secret });
    const { message2 } = await s.respond(c.writeMessage1());
    const live = c.liveSecretsForTestingOnly();
    expectCode(() => c.readMessage2(flipBit(message2, 8 * 40)), 'ERR_AUTHENTICATION_FAILED');
    expect(live.every(nonZero)).toBe(true);
    c.readMessage2(message2);
    expect(live.every(zero)).toBe(true);
  });

  it('sessions: dispose() zeroes both record keys, the exporter and the EAPI root; an EAPI secret is zeroed by its dispose() and the session’s', async () => {
    const c = createClientHandshake({ apiKey: KEY.token });
    const s = createServerHandshake({ resolveKey: () => KEY.secret });
    const { message2, session: server } = await s.respond(c.writeMessage1());
    const client = c.readMessage2(message2);
    const a = client.issueEapi({ scope: 's', expiresAt: 2_000_000_000_000 });
    const b = client.issueEapi({ scope: 's', expiresAt: 2_000_000_000_000 });
    const secretA = a.liveSecretForTestingOnly()!;
    const secretB = b.liveSecretForTestingOnly()!;
    a.dispose();
    expect(zero(secretA)).toBe(true);
    expect(a.liveSecretForTestingOnly()).toBeNull();
    expect(nonZero(secretB)).toBe(true);
    for (const session of [client, server]) {
      const live = sessionLiveSecretsForTestingOnly(session);
      expect(live.length).toBe(4);
      expect(live.every(nonZero)).toBe(true);
      session.dispose();
      expect(live.every(zero)).toBe(true);
    }
    expect(zero(secretB)).toBe(true);
  });
});
