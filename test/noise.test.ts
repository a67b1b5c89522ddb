/**
 * The raw Noise layer (`e2e2/noise`): Noise_NNpsk2_25519_ChaChaPoly_SHA256, rev 34.
 * Differential against the noble oracle written from the spec text (test/oracle/noise.ts),
 * plus every negative path with its error code.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHandshake, type NoiseHandshake, type NoiseTransport } from '../bindings/noise/index.js';
import { HandshakeState } from '../bindings/noise/handshake-state.js';
import { CipherState } from '../bindings/noise/cipher-state.js';
import { SymmetricState, noiseHkdf } from '../bindings/noise/symmetric-state.js';
import { AUTHENTICATION_FAILED_MESSAGE } from '../bindings/noise/failures.js';
import * as oracle from './oracle/noise.js';
import { LOW_ORDER_POINTS } from './oracle/low-order.js';
import { expectCode, flipBit, hexOf, utf8Of } from './oracle/harness.js';
import { FUZZ_RUNS } from './helpers/vectors.js';
import { bytesFromSeed } from './helpers/random.js';

const PSK = bytesFromSeed(1, 32);
const I_EPH = bytesFromSeed(2, 32);
const R_EPH = bytesFromSeed(3, 32);

function pair(options: { psk?: Uint8Array; prologue?: Uint8Array; responderPsk?: Uint8Array; responderPrologue?: Uint8Array } = {}): [NoiseHandshake, NoiseHandshake] {
  const psk = options.psk ?? PSK;
  return [
    createHandshake({ role: 'initiator', psk, prologue: options.prologue, fixedEphemeralPrivateKeyForTestingOnly: I_EPH }),
    createHandshake({ role: 'responder', psk: options.responderPsk ?? psk, prologue: options.responderPrologue ?? options.prologue, fixedEphemeralPrivateKeyForTestingOnly: R_EPH }),
  ];
}

function complete(payload1: Uint8Array = new Uint8Array(0), payload2: Uint8Array = new Uint8Array(0)): { i: NoiseHandshake; r: NoiseHandshake; m1: Uint8Array; m2: Uint8Array; a: NoiseTransport; b: NoiseTransport } {
  const [i, r] = pair();
  const m1 = i.writeMessage(payload1);
  r.readMessage(m1);
  const m2 = r.writeMessage(payload2);
  i.readMessage(m2);
  return { i, r, m1, m2, a: i.split(), b: r.split() };
}

/** Everything observable about a HandshakeState's symmetric state. */
function snapshot(state: HandshakeState): string {
  const s = state.symmetricForTestingOnly();
  return JSON.stringify({ ck: hexOf(s.chainingKey), h: hexOf(s.handshakeHash), k: s.cipher.hasKey() ? hexOf(s.cipher.keyForTestingOnly()!) : null, n: s.cipher.nonce.toString(), complete: state.isComplete });
}

describe('Noise primitives against the spec-text oracle', () => {
  it('HKDF (§4.3) equals the literal HMAC chain for 0, 32 and 33-byte input key material', () => {
    for (const n of [0, 32, 33]) {
      const ck = bytesFromSeed(10 + n, 32);
      const ikm = bytesFromSeed(20 + n, n);
      expect(noiseHkdf(ck, ikm, 2).map(hexOf)).toEqual(oracle.HKDF(ck, ikm, 2).map(hexOf));
      expect(noiseHkdf(ck, ikm, 3).map(hexOf)).toEqual(oracle.HKDF(ck, ikm, 3).map(hexOf));
    }
  });

  it('InitializeSymmetric: the 36-byte name is hashed, h = ck = SHA-256(name) (§5.2)', () => {
    const s = SymmetricState.initialize();
    const o = oracle.initializeSymmetric();
    expect(hexOf(s.handshakeHash)).toBe(hexOf(o.h));
    expect(hexOf(s.chainingKey)).toBe(hexOf(o.ck));
    expect(s.cipher.hasKey()).toBe(false);
  });

  it('nonce encoding: 4 zero bytes then little-endian n (§12.3), checked at several counters', () => {
    const key = bytesFromSeed(4, 32);
    for (const n of [0n, 1n, 255n, 256n, 0xffffffffn, 0x100000000n, 0x0123456789abcdefn, (1n << 64n) - 2n]) {
      const c = new CipherState();
      c.initializeKey(key);
      c.setNonce(n);
      const pt = utf8Of(`n=${n}`);
      expect(hexOf(c.encryptWithAd(utf8Of('ad'), pt))).toBe(hexOf(oracle.ENCRYPT(key, n, utf8Of('ad'), pt)));
      expect(c.nonce).toBe(n + 1n);
    }
  });

  it('REKEY(k) is the first 32 bytes of ENCRYPT(k, 2^64-1, empty, zeros) (§4.2) and leaves n unchanged', () => {
    const key = bytesFromSeed(5, 32);
    const c = new CipherState();
    c.initializeKey(key);
    c.setNonce(7n);
    c.rekey();
    expect(hexOf(c.keyForTestingOnly()!)).toBe(hexOf(oracle.REKEY(key)));
    expect(c.nonce).toBe(7n);
  });

  it('nonce 2^64-1 is never used: after 2^64-2, encrypt and decrypt fail with ERR_NONCE_EXHAUSTED (§5.1)', () => {
    const key = bytesFromSeed(6, 32);
    const sender = new CipherState();
    const receiver = new CipherState();
    sender.initializeKey(key);
    receiver.initializeKey(key);
    sender.setNonce((1n << 64n) - 2n);
    receiver.setNonce((1n << 64n) - 2n);
    const ct = sender.encryptWithAd(new Uint8Array(0), utf8Of('last'));
    expect(hexOf(ct)).toBe(hexOf(oracle.ENCRYPT(key, (1n << 64n) - 2n, new Uint8Array(0), utf8Of('last'))));
    expect(hexOf(receiver.decryptWithAd(new Uint8Array(0), ct))).toBe(hexOf(utf8Of('last')));
    expectCode(() => sender.encryptWithAd(new Uint8Array(0), utf8Of('x')), 'ERR_NONCE_EXHAUSTED');
    expectCode(() => receiver.decryptWithAd(new Uint8Array(0), ct), 'ERR_NONCE_EXHAUSTED');
    expect(sender.nonce).toBe((1n << 64n) - 1n);
  });

  it('a failed decryption does not consume the nonce (§5.1)', () => {
    const key = bytesFromSeed(7, 32);
    const s = new CipherState();
    const r = new CipherState();
    s.initializeKey(key);
    r.initializeKey(key);
    const ct = s.encryptWithAd(new Uint8Array(0), utf8Of('one'));
    expectCode(() => r.decryptWithAd(new Uint8Array(0), flipBit(ct, 0)), 'ERR_AUTHENTICATION_FAILED', AUTHENTICATION_FAILED_MESSAGE);
    expect(r.nonce).toBe(0n);
    expect(hexOf(r.decryptWithAd(new Uint8Array(0), ct))).toBe(hexOf(utf8Of('one')));
    expect(r.nonce).toBe(1n);
  });

  it('an empty CipherState passes plaintext through (EncryptWithAd/DecryptWithAd with k empty)', () => {
    const c = new CipherState();
    expect(hexOf(c.encryptWithAd(new Uint8Array(0), utf8Of('abc')))).toBe(hexOf(utf8Of('abc')));
    expect(hexOf(c.decryptWithAd(new Uint8Array(0), utf8Of('abc')))).toBe(hexOf(utf8Of('abc')));
  });
});

describe('NNpsk2 handshake', () => {
  it('completes, agrees on h, and transports data both ways', () => {
    const { i, r, a, b } = complete(utf8Of('hello'), utf8Of('world'));
    expect(i.isComplete && r.isComplete).toBe(true);
    expect(hexOf(i.getHandshakeHash())).toBe(hexOf(r.getHandshakeHash()));
    expect(hexOf(b.decrypt(a.encrypt(utf8Of('ping'))))).toBe(hexOf(utf8Of('ping')));
    expect(hexOf(a.decrypt(b.encrypt(utf8Of('pong'))))).toBe(hexOf(utf8Of('pong')));
  });

  it('message sizes: 48 + payload, both messages encrypted (PSK rule §9.2)', () => {
    const { m1, m2 } = complete(utf8Of('abc'), utf8Of('defgh'));
    expect(m1.length).toBe(32 + 3 + 16);
    expect(m2.length).toBe(32 + 5 + 16);
    // Message 1's payload is encrypted, but under a key from public values only: anyone can read it.
    const anyone = oracle.initialize(false, new Uint8Array(0), new Uint8Array(32), bytesFromSeed(99, 32));
    expect(hexOf(oracle.readMessage1(anyone, m1))).toBe(hexOf(utf8Of('abc')));
  });

  it('matches the oracle byte for byte (random psk, prologue, ephemerals, payloads, transport)', () => {
    const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });
    const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(key, key, key, bytes(64), bytes(80), bytes(80), fc.array(bytes(100), { maxLength: 4 }), (psk, ie, re, prologue, p1, p2, transport) => {
        const i = createHandshake({ role: 'initiator', psk, prologue, fixedEphemeralPrivateKeyForTestingOnly: ie });
        const r = createHandshake({ role: 'responder', psk, prologue, fixedEphemeralPrivateKeyForTestingOnly: re });
        const oi = oracle.initialize(true, prologue, psk, ie);
        const or = oracle.initialize(false, prologue, psk, re);
        const m1 = i.writeMessage(p1);
        expect(hexOf(m1)).toBe(hexOf(oracle.writeMessage1(oi, p1)));
        expect(hexOf(r.readMessage(m1))).toBe(hexOf(oracle.readMessage1(or, m1)));
        const m2 = r.writeMessage(p2);
        expect(hexOf(m2)).toBe(hexOf(oracle.writeMessage2(or, p2)));
        expect(hexOf(i.readMessage(m2))).toBe(hexOf(p2));
        oracle.readMessage2(oi, m2);
        expect(hexOf(i.getHandshakeHash())).toBe(hexOf(oi.s.h));
        expect(hexOf(r.getHandshakeHash())).toBe(hexOf(or.s.h));
        const [a, b] = [i.split(), r.split()];
        const [ois, oir] = oracle.transportFor(oi);
        const [ors, orr] = oracle.transportFor(or);
        transport.forEach((m, n) => {
          if (n % 2 === 0) {
            const ct = a.encrypt(m);
            expect(hexOf(ct)).toBe(hexOf(oracle.encryptWithAd(ois, new Uint8Array(0), m)));
            expect(hexOf(b.decrypt(ct))).toBe(hexOf(oracle.decryptWithAd(orr, new Uint8Array(0), ct)));
          } else {
            const ct = b.encrypt(m);
            expect(hexOf(ct)).toBe(hexOf(oracle.encryptWithAd(ors, new Uint8Array(0), m)));
            expect(hexOf(a.decrypt(ct))).toBe(hexOf(oracle.decryptWithAd(oir, new Uint8Array(0), ct)));
          }
        });
      }),
      { numRuns: Math.max(50, Math.floor(FUZZ_RUNS / 20)) },
    );
  });

  it('random ephemerals by default: two handshakes give different messages and hashes', () => {
    const run = () => {
      const i = createHandshake({ role: 'initiator', psk: PSK });
      const r = createHandshake({ role: 'responder', psk: PSK });
      const m1 = i.writeMessage();
      r.readMessage(m1);
      i.readMessage(r.writeMessage());
      return [hexOf(m1), hexOf(i.getHandshakeHash())];
    };
    const [x, y] = [run(), run()];
    expect(x[0]).not.toBe(y[0]);
    expect(x[1]).not.toBe(y[1]);
  });

  it('transport rekey (§11.3): rekeySend on one side, rekeyReceive on the other, equal to the oracle', () => {
    const { a, b } = complete();
    a.rekeySend();
    b.rekeyReceive();
    expect(hexOf(b.decrypt(a.encrypt(utf8Of('after'))))).toBe(hexOf(utf8Of('after')));
    b.rekeySend();
    expectCode(() => a.decrypt(b.encrypt(utf8Of('mismatch'))), 'ERR_AUTHENTICATION_FAILED');
  });

  it('accepts payloads up to the 65,535-byte message limit, and messages of exactly 65,535 bytes', () => {
    const [i, r] = pair();
    const m1 = i.writeMessage(new Uint8Array(65535 - 48));
    expect(m1.length).toBe(65535);
    expect(r.readMessage(m1).length).toBe(65535 - 48);
    const m2 = r.writeMessage(new Uint8Array(65535 - 48));
    expect(i.readMessage(m2).length).toBe(65535 - 48);
    const [a, b] = [i.split(), r.split()];
    const ct = a.encrypt(new Uint8Array(65535 - 16));
    expect(ct.length).toBe(65535);
    expect(b.decrypt(ct).length).toBe(65535 - 16);
  });
});

describe('NNpsk2 negative paths (each asserts its code; each failure leaves the state untouched)', () => {
  it('oversized: payload → ERR_PAYLOAD_TOO_LARGE; received message > 65,535 → ERR_MESSAGE_TOO_LARGE', () => {
    const [i, r] = pair();
    expectCode(() => i.writeMessage(new Uint8Array(65535 - 48 + 1)), 'ERR_PAYLOAD_TOO_LARGE');
    expectCode(() => r.readMessage(new Uint8Array(65536)), 'ERR_MESSAGE_TOO_LARGE');
    const { a, b } = complete();
    expectCode(() => a.encrypt(new Uint8Array(65535 - 16 + 1)), 'ERR_PAYLOAD_TOO_LARGE');
    expectCode(() => b.decrypt(new Uint8Array(65536)), 'ERR_MESSAGE_TOO_LARGE');
    expectCode(() => b.decrypt(new Uint8Array(15)), 'ERR_MALFORMED_MESSAGE');
  });

  it('every truncation of message 1: < 48 bytes → ERR_MALFORMED_MESSAGE, shorter payload → ERR_AUTHENTICATION_FAILED', () => {
    const [i] = pair();
    const m1 = i.writeMessage(utf8Of('payload-10'));
    const r = new HandshakeState({ role: 'responder', psk: PSK, fixedEphemeralPrivateKeyForTestingOnly: R_EPH });
    const before = snapshot(r);
    for (let length = 0; length < m1.length; length++) {
      expectCode(() => r.readMessage(m1.subarray(0, length)), length < 48 ? 'ERR_MALFORMED_MESSAGE' : 'ERR_AUTHENTICATION_FAILED');
      expect(snapshot(r)).toBe(before);
    }
    expect(hexOf(r.readMessage(m1))).toBe(hexOf(utf8Of('payload-10')));
  });

  it('every truncation of message 2 is rejected, state unchanged, and the real message 2 still works', () => {
    const i = new HandshakeState({ role: 'initiator', psk: PSK, fixedEphemeralPrivateKeyForTestingOnly: I_EPH });
    const r = new HandshakeState({ role: 'responder', psk: PSK, fixedEphemeralPrivateKeyForTestingOnly: R_EPH });
    r.readMessage(i.writeMessage());
    const m2 = r.writeMessage(utf8Of('xyz'));
    const before = snapshot(i);
    for (let length = 0; length < m2.length; length++) {
      expectCode(() => i.readMessage(m2.subarray(0, length)), length < 48 ? 'ERR_MALFORMED_MESSAGE' : 'ERR_AUTHENTICATION_FAILED');
      expect(snapshot(i)).toBe(before);
    }
    expect(hexOf(i.readMessage(m2))).toBe(hexOf(utf8Of('xyz')));
  });

  it('every single-bit flip of message 1 is detected (ERR_AUTHENTICATION_FAILED), state unchanged', () => {
    const [i] = pair();
    const m1 = i.writeMessage(utf8Of('k'));
    const r = new HandshakeState({ role: 'responder', psk: PSK, fixedEphemeralPrivateKeyForTestingOnly: R_EPH });
    const before = snapshot(r);
    for (let bit = 0; bit < m1.length * 8; bit++) {
      expectCode(() => r.readMessage(flipBit(m1, bit)), 'ERR_AUTHENTICATION_FAILED', AUTHENTICATION_FAILED_MESSAGE);
      expect(snapshot(r)).toBe(before);
    }
    expect(hexOf(r.readMessage(m1))).toBe(hexOf(utf8Of('k')));
  });

  it('every single-bit flip of message 2 is detected, state unchanged, the real message still works', () => {
    const i = new HandshakeState({ role: 'initiator', psk: PSK, fixedEphemeralPrivateKeyForTestingOnly: I_EPH });
    const r = new HandshakeState({ role: 'responder', psk: PSK, fixedEphemeralPrivateKeyForTestingOnly: R_EPH });
    r.readMessage(i.writeMessage());
    const m2 = r.writeMessage(utf8Of('m2'));
    const before = snapshot(i);
    for (let bit = 0; bit < m2.length * 8; bit++) {
      expectCode(() => i.readMessage(flipBit(m2, bit)), 'ERR_AUTHENTICATION_FAILED');
      expect(snapshot(i)).toBe(before);
    }
    expect(hexOf(i.readMessage(m2))).toBe(hexOf(utf8Of('m2')));
  });

  it('wrong PSK: the initiator fails on message 2 with ERR_AUTHENTICATION_FAILED', () => {
    const [i, r] = pair({ responderPsk: bytesFromSeed(77, 32) });
    r.readMessage(i.writeMessage());
    expectCode(() => i.readMessage(r.writeMessage()), 'ERR_AUTHENTICATION_FAILED', AUTHENTICATION_FAILED_MESSAGE);
  });

  it('different prologues: the responder fails on message 1', () => {
    const [i, r] = pair({ prologue: utf8Of('a'), responderPrologue: utf8Of('b') });
    expectCode(() => r.readMessage(i.writeMessage()), 'ERR_AUTHENTICATION_FAILED');
  });

  it.skipIf(!LOW_ORDER_POINTS)('low-order ephemeral keys: ERR_LOW_ORDER_POINT at the first DH (all 14 encodings), state unchanged', () => {
    expect(LOW_ORDER_POINTS).toHaveLength(14);
    for (const point of LOW_ORDER_POINTS!) {
      // Initiator's e of low order: message 1 has no DH, the responder fails when writing message 2 (ee).
      const fake = oracle.initialize(true, new Uint8Array(0), PSK, I_EPH);
      fake.e = { priv: I_EPH, pub: point };
      const m1 = oracle.writeMessage1(fake, new Uint8Array(0));
      const r = new HandshakeState({ role: 'responder', psk: PSK, fixedEphemeralPrivateKeyForTestingOnly: R_EPH });
      r.readMessage(m1);
      const before = snapshot(r);
      expectCode(() => r.writeMessage(), 'ERR_LOW_ORDER_POINT');
      expect(snapshot(r)).toBe(before);
      // Responder's e of low order: the initiator fails reading message 2.
      const i = new HandshakeState({ role: 'initiator', psk: PSK, fixedEphemeralPrivateKeyForTestingOnly: I_EPH });
      const realM1 = i.writeMessage();
      const fr = oracle.initialize(false, new Uint8Array(0), PSK, R_EPH);
      oracle.readMessage1(fr, realM1);
      // Build message 2 by hand: e = low-order point, then a payload the initiator can never check.
      const m2 = new Uint8Array(48);
      m2.set(point);
      const beforeI = snapshot(i);
      expectCode(() => i.readMessage(m2), 'ERR_LOW_ORDER_POINT');
      expect(snapshot(i)).toBe(beforeI);
    }
  });

  it('calls in the wrong order → ERR_INVALID_STATE', () => {
    const [i, r] = pair();
    expectCode(() => i.readMessage(new Uint8Array(48)), 'ERR_INVALID_STATE');
    expectCode(() => r.writeMessage(), 'ERR_INVALID_STATE');
    expectCode(() => i.split(), 'ERR_INVALID_STATE');
    expectCode(() => i.getHandshakeHash(), 'ERR_INVALID_STATE');
    const m1 = i.writeMessage();
    expectCode(() => i.writeMessage(), 'ERR_INVALID_STATE');
    r.readMessage(m1);
    expectCode(() => r.readMessage(m1), 'ERR_INVALID_STATE');
    i.readMessage(r.writeMessage());
    expectCode(() => i.writeMessage(), 'ERR_INVALID_STATE');
    expectCode(() => r.writeMessage(), 'ERR_INVALID_STATE');
    i.split();
    expectCode(() => i.split(), 'ERR_INVALID_STATE');
  });

  it('bad options and arguments → caller errors', () => {
    expectCode(() => createHandshake({ role: 'initiator', psk: new Uint8Array(31) }), 'ERR_INVALID_KEY_LENGTH');
    expectCode(() => createHandshake({ role: 'x' as 'initiator', psk: PSK }), 'ERR_INVALID_ARGUMENT');
    expectCode(() => createHandshake({ role: 'initiator', psk: PSK, fixedEphemeralPrivateKeyForTestingOnly: new Uint8Array(31) }), 'ERR_INVALID_KEY_LENGTH');
    const [i] = pair();
    expectCode(() => i.writeMessage('x' as unknown as Uint8Array), 'ERR_INVALID_ARGUMENT');
  });

  it('transport: replayed, reordered, reflected and forged messages fail and consume no nonce', () => {
    const { a, b } = complete();
    const c1 = a.encrypt(utf8Of('1'));
    const c2 = a.encrypt(utf8Of('2'));
    expectCode(() => b.decrypt(c2), 'ERR_AUTHENTICATION_FAILED'); // reordered
    expectCode(() => a.decrypt(c1), 'ERR_AUTHENTICATION_FAILED'); // reflected to its sender
    expectCode(() => b.decrypt(flipBit(c1, 3)), 'ERR_AUTHENTICATION_FAILED'); // forged
    expect(hexOf(b.decrypt(c1))).toBe(hexOf(utf8Of('1')));
    expectCode(() => b.decrypt(c1), 'ERR_AUTHENTICATION_FAILED'); // replayed
    expect(hexOf(b.decrypt(c2))).toBe(hexOf(utf8Of('2')));
  });

  it('dispose wipes and later calls fail with ERR_INVALID_STATE', () => {
    const { i, a } = complete();
    a.dispose();
    expectCode(() => a.encrypt(utf8Of('x')), 'ERR_INVALID_STATE');
    i.dispose();
    expectCode(() => i.getHandshakeHash(), 'ERR_INVALID_STATE');
  });
});
