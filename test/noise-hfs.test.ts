/**
 * The Noise HFS tokens in the pattern-driven HandshakeState: NNhfs+psk2 with X25519 + ML-KEM-768
 * (../shared/specs/noise_hfs.md §4-5) against an independent token-by-token implementation on
 * noble and @noble/post-quantum (test/oracle/noise-hfs.ts): byte-identical messages, handshake
 * hash, KEM output, chaining key and transport keys; interop in both directions with random keys;
 * bad KEM inputs fail typed and roll back; KEM secrets are wiped.
 */
import { describe, expect, it } from 'vitest';
import { HandshakeState, NNHFS_PSK2 } from '../bindings/noise/handshake-state.js';
import { HFS_DH_NAME, KEM_CIPHERTEXT_BYTES, KEM_PUBLIC_KEY_BYTES, TAG_BYTES } from '../bindings/noise/constants.js';
import * as noise from './oracle/noise.js';
import * as hfs from './oracle/noise-hfs.js';
import { expectCode } from './oracle/harness.js';
import { bytesFromSeed } from './helpers/random.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const utf8 = (s: string) => new TextEncoder().encode(s);
const EMPTY = new Uint8Array(0);

function pairWithFixedInputs(seed: number) {
  const psk = bytesFromSeed(seed, 32);
  const prologue = utf8(`hfs prologue ${seed}`);
  const ei = bytesFromSeed(seed + 1, 32);
  const er = bytesFromSeed(seed + 2, 32);
  const kemSeed = bytesFromSeed(seed + 3, 64);
  const kemMessage = bytesFromSeed(seed + 4, 32);
  return { psk, prologue, ei, er, kemSeed, kemMessage };
}

describe('NNhfs+psk2 (X25519 + ML-KEM-768)', () => {
  it('has the protocol name of Noise §8 with the HFS DH section, and the message sizes of its tokens', () => {
    expect(hfs.HFS_PROTOCOL_NAME).toBe(`Noise_${NNHFS_PSK2.name}_${HFS_DH_NAME}_ChaChaPoly_SHA256`);
    expect(NNHFS_PSK2.messages).toEqual([['e', 'e1'], ['e', 'ee', 'ekem1', 'psk']]);
    const { psk, prologue } = pairWithFixedInputs(1);
    const i = new HandshakeState({ role: 'initiator', pattern: NNHFS_PSK2, psk, prologue });
    const r = new HandshakeState({ role: 'responder', pattern: NNHFS_PSK2, psk, prologue });
    const m1 = i.writeMessage(utf8('key id'));
    // e (32) || ENCRYPT(ek) (1184 + 16: psk mode, `e` already set a key) || ENCRYPT(payload)
    expect(m1.length).toBe(32 + KEM_PUBLIC_KEY_BYTES + TAG_BYTES + 6 + TAG_BYTES);
    r.readMessage(m1);
    const m2 = r.writeMessage();
    expect(m2.length).toBe(32 + KEM_CIPHERTEXT_BYTES + TAG_BYTES + TAG_BYTES);
    i.readMessage(m2);
    expect(hex(i.getHandshakeHash())).toBe(hex(r.getHandshakeHash()));
  });

  it('matches the token-by-token oracle byte for byte: messages, payloads, h, the KEM output and both transport keys', () => {
    for (const seed of [10, 20, 30]) {
      const { psk, prologue, ei, er, kemSeed, kemMessage } = pairWithFixedInputs(seed);
      const stages: string[] = [];
      const onKeyStage = (token: string, secret: Uint8Array) => void stages.push(`${token}:${hex(secret)}`);
      const i = new HandshakeState({ role: 'initiator', pattern: NNHFS_PSK2, psk, prologue, fixedEphemeralPrivateKeyForTestingOnly: ei, fixedKemSeedForTestingOnly: kemSeed, onKeyStage });
      const r = new HandshakeState({ role: 'responder', pattern: NNHFS_PSK2, psk, prologue, fixedEphemeralPrivateKeyForTestingOnly: er, fixedKemMessageForTestingOnly: kemMessage });
      const oi = hfs.initializeHfs(true, prologue, psk, ei, kemSeed);
      const or = hfs.initializeHfs(false, prologue, psk, er);
      const payload1 = utf8(`one ${seed}`);
      const m1 = i.writeMessage(payload1);
      expect(hex(m1)).toBe(hex(hfs.writeHfsMessage1(oi, payload1)));
      expect(hex(r.readMessage(m1))).toBe(hex(hfs.readHfsMessage1(or, m1)));
      const payload2 = utf8(`two ${seed}`);
      const m2 = r.writeMessage(payload2);
      expect(hex(m2)).toBe(hex(hfs.writeHfsMessage2(or, payload2, kemMessage)));
      expect(hex(i.readMessage(m2))).toBe(hex(payload2));
      hfs.readHfsMessage2(oi, m2);
      expect(hex(i.getHandshakeHash())).toBe(hex(oi.s.h));
      expect(hex(r.getHandshakeHash())).toBe(hex(or.s.h));
      // The observer saw K1 (ee), the KEM output (ekem1) and K2 (ck after psk), equal to the oracle's.
      expect(stages.map((s) => s.split(':')[0])).toEqual(['ee', 'ekem1', 'psk']);
      expect(stages[1]).toBe(`ekem1:${hex(oi.kemOutput!)}`);
      expect(stages[2]).toBe(`psk:${hex(oi.s.ck)}`);
      const [send, receive] = i.splitCipherStates();
      const [osend, oreceive] = hfs.hfsTransportFor(oi);
      expect(hex(send.encryptWithAd(EMPTY, utf8('c->s')))).toBe(hex(noise.encryptWithAd(osend, EMPTY, utf8('c->s'))));
      expect(hex(receive.decryptWithAd(EMPTY, noise.encryptWithAd(hfs.hfsTransportFor(or)[0], EMPTY, utf8('s->c'))))).toBe(hex(utf8('s->c')));
      void oreceive;
    }
  });

  it('interoperates with the oracle in both directions with fresh random keys', () => {
    for (let n = 0; n < 4; n++) {
      const psk = bytesFromSeed(100 + n, 32);
      const prologue = utf8('interop');
      // e2e2 initiator → oracle responder
      const i = new HandshakeState({ role: 'initiator', pattern: NNHFS_PSK2, psk, prologue });
      const or = hfs.initializeHfs(false, prologue, psk, bytesFromSeed(200 + n, 32));
      expect(hex(hfs.readHfsMessage1(or, i.writeMessage(utf8('a'))))).toBe(hex(utf8('a')));
      expect(hex(i.readMessage(hfs.writeHfsMessage2(or, utf8('b'))))).toBe(hex(utf8('b')));
      expect(hex(i.getHandshakeHash())).toBe(hex(or.s.h));
      // oracle initiator → e2e2 responder
      const oi = hfs.initializeHfs(true, prologue, psk, bytesFromSeed(300 + n, 32));
      const r = new HandshakeState({ role: 'responder', pattern: NNHFS_PSK2, psk, prologue });
      expect(hex(r.readMessage(hfs.writeHfsMessage1(oi, utf8('c'))))).toBe(hex(utf8('c')));
      expect(hex(hfs.readHfsMessage2(oi, r.writeMessage(utf8('d'))))).toBe(hex(utf8('d')));
      expect(hex(r.getHandshakeHash())).toBe(hex(oi.s.h));
    }
  });

  it('a ciphertext the initiator implicitly rejects (FIPS 203 §7.3) gives other keys: message 2 fails authentication and rolls back', () => {
    const { psk, prologue, er } = pairWithFixedInputs(40);
    const i = new HandshakeState({ role: 'initiator', pattern: NNHFS_PSK2, psk, prologue });
    const m1 = i.writeMessage(EMPTY);
    const honest = hfs.initializeHfs(false, prologue, psk, er);
    const cheat = hfs.initializeHfs(false, prologue, psk, er);
    hfs.readHfsMessage1(honest, m1);
    hfs.readHfsMessage1(cheat, m1);
    const fixedM = new Uint8Array(32).fill(5);
    // The cheating responder encrypts (validly) a modified KEM ciphertext: only the KEM output differs.
    const bad = hfs.writeHfsMessage2(cheat, EMPTY, fixedM, true);
    expectCode(() => i.readMessage(bad), 'ERR_AUTHENTICATION_FAILED');
    // Nothing changed: the honest message 2 still completes the handshake.
    i.readMessage(hfs.writeHfsMessage2(honest, EMPTY, fixedM));
    expect(hex(i.getHandshakeHash())).toBe(hex(honest.s.h));
  });

  it('a KEM public key failing the modulus check (FIPS 203 §7.2) is the peer’s malformed message; a truncated one too', () => {
    const { psk, prologue, ei } = pairWithFixedInputs(60);
    const evil = hfs.initializeHfs(true, prologue, psk, ei);
    // Coefficient 0 of the first polynomial := 0xfff ≥ q = 3329 (12-bit little-endian packing).
    evil.kem!.publicKey[0] = 0xff;
    evil.kem!.publicKey[1] = evil.kem!.publicKey[1]! | 0x0f;
    const m1 = hfs.writeHfsMessage1(evil, EMPTY);
    const r = new HandshakeState({ role: 'responder', pattern: NNHFS_PSK2, psk, prologue });
    r.readMessage(m1);
    const error = expectCode(() => r.writeMessage(EMPTY), 'ERR_MALFORMED_MESSAGE', "the peer's KEM public key fails the modulus check (FIPS 203 §7.2)");
    expect((error.cause as { code?: string }).code).toBe('ERR_INVALID_PUBLIC_KEY');
    const r2 = new HandshakeState({ role: 'responder', pattern: NNHFS_PSK2, psk, prologue });
    expectCode(() => r2.readMessage(m1.subarray(0, 32 + 1000)), 'ERR_MALFORMED_MESSAGE', 'handshake message is too short for the KEM public key');
    const i = new HandshakeState({ role: 'initiator', pattern: NNHFS_PSK2, psk, prologue });
    i.writeMessage(EMPTY);
    const short = new Uint8Array(32 + 500);
    short.set(noise.publicKeyOf(bytesFromSeed(61, 32)));
    expectCode(() => i.readMessage(short), 'ERR_MALFORMED_MESSAGE', 'handshake message is too short for the KEM ciphertext');
  });

  it('wipes the KEM secret key and the fixed KEM inputs once complete, and on dispose()', () => {
    const { psk, prologue, kemSeed, kemMessage } = pairWithFixedInputs(70);
    const i = new HandshakeState({ role: 'initiator', pattern: NNHFS_PSK2, psk, prologue, fixedKemSeedForTestingOnly: kemSeed });
    const r = new HandshakeState({ role: 'responder', pattern: NNHFS_PSK2, psk, prologue, fixedKemMessageForTestingOnly: kemMessage });
    r.readMessage(i.writeMessage(EMPTY));
    const live = i.liveSecretsForTestingOnly();
    const kemSecret = live.find((a) => a.length === 2400)!;
    expect(kemSecret.some((b) => b !== 0)).toBe(true);
    const fixedSeed = live.find((a) => a.length === 64)!;
    const responderFixed = r.liveSecretsForTestingOnly().find((a) => a.length === 32 && hex(a) === hex(kemMessage));
    expect(responderFixed).toBeDefined();
    i.readMessage(r.writeMessage(EMPTY));
    expect(kemSecret.every((b) => b === 0)).toBe(true);
    expect(fixedSeed.every((b) => b === 0)).toBe(true);
    expect(responderFixed!.every((b) => b === 0)).toBe(true);
    const d = new HandshakeState({ role: 'initiator', pattern: NNHFS_PSK2, psk, prologue });
    d.writeMessage(EMPTY);
    const dSecret = d.liveSecretsForTestingOnly().find((a) => a.length === 2400)!;
    d.dispose();
    expect(dSecret.every((b) => b === 0)).toBe(true);
    expectCode(() => new HandshakeState({ role: 'initiator', pattern: NNHFS_PSK2, fixedKemSeedForTestingOnly: new Uint8Array(63) }), 'ERR_INVALID_KEY_LENGTH', 'fixedKemSeedForTestingOnly must be 64 bytes');
  });
});
