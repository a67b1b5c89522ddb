// The pattern-driven HandshakeState: patterns are token lists; NNpsk2 is the default; a plain NN
// pattern (no psk, so no MixKey on `e`, §9.2) matches a by-hand Noise computation on the noble
// oracle primitives; malformed HFS token shapes are refused; a failed step rolls back.
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { HandshakeState, NNPSK2, type HandshakePattern, type Token } from '../bindings/noise/handshake-state.js';
import * as oracle from './oracle/noise.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const utf8 = (s: string) => new TextEncoder().encode(s);
const key = (fill: number) => new Uint8Array(32).fill(fill);
const NN: HandshakePattern = { name: 'NN', messages: [['e'], ['e', 'ee']] };

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('pattern-driven HandshakeState', () => {
  it('NNpsk2 given explicitly equals the default, byte for byte', () => {
    const run = (pattern?: HandshakePattern) => {
      const opts = { psk: key(7), prologue: utf8('p'), ...(pattern ? { pattern } : {}) };
      const i = new HandshakeState({ role: 'initiator', fixedEphemeralPrivateKeyForTestingOnly: key(1), ...opts });
      const r = new HandshakeState({ role: 'responder', fixedEphemeralPrivateKeyForTestingOnly: key(2), ...opts });
      const m1 = i.writeMessage(utf8('hello'));
      r.readMessage(m1);
      const m2 = r.writeMessage(utf8('world'));
      i.readMessage(m2);
      return [hex(m1), hex(m2), hex(i.getHandshakeHash()), hex(r.getHandshakeHash())];
    };
    const a = run();
    expect(run(NNPSK2)).toEqual(a);
    expect(run({ name: 'NNpsk2', messages: [['e'], ['e', 'ee', 'psk']] })).toEqual(a);
    expect(a[2]).toBe(a[3]);
  });

  it('NN (no psk) matches Noise §5 computed by hand with the oracle primitives', () => {
    const ei = key(3), er = key(4), prologue = utf8('nn');
    // 'Noise_NN_25519_ChaChaPoly_SHA256' is exactly 32 bytes: h = name, not HASH(name) (§5.2).
    let h: Uint8Array = utf8("Noise_NN_25519_ChaChaPoly_SHA256");
    expect(h.length).toBe(32);
    let ck: Uint8Array = h;
    const mixHash = (d: Uint8Array) => (h = sha256(oracle.cat(h, d)));
    mixHash(prologue);
    const eiPub = oracle.publicKeyOf(ei), erPub = oracle.publicKeyOf(er);
    mixHash(eiPub);
    const p1 = utf8('one');
    mixHash(p1); // no key yet: payload in clear
    const expected1 = oracle.cat(eiPub, p1);
    mixHash(erPub);
    const [ck2, k] = oracle.HKDF(ck, oracle.DH(er, eiPub), 2) as [Uint8Array, Uint8Array];
    ck = ck2;
    const c2 = oracle.ENCRYPT(k, 0n, h, utf8('two'));
    mixHash(c2);
    const expected2 = oracle.cat(erPub, c2);

    const i = new HandshakeState({ role: 'initiator', pattern: NN, prologue, fixedEphemeralPrivateKeyForTestingOnly: ei });
    const r = new HandshakeState({ role: 'responder', pattern: NN, prologue, fixedEphemeralPrivateKeyForTestingOnly: er });
    const m1 = i.writeMessage(p1);
    expect(hex(m1)).toBe(hex(expected1));
    expect(hex(r.readMessage(m1))).toBe(hex(p1));
    const m2 = r.writeMessage(utf8('two'));
    expect(hex(m2)).toBe(hex(expected2));
    expect(hex(i.readMessage(m2))).toBe(hex(utf8('two')));
    expect(hex(i.getHandshakeHash())).toBe(hex(h));
    const [ia, ib] = i.splitCipherStates();
    const [ra, rb] = r.splitCipherStates();
    expect(hex(ra.decryptWithAd(new Uint8Array(0), ia.encryptWithAd(new Uint8Array(0), utf8('x'))))).toBe(hex(utf8('x')));
    expect(hex(ib.decryptWithAd(new Uint8Array(0), rb.encryptWithAd(new Uint8Array(0), utf8('y'))))).toBe(hex(utf8('y')));
  });

  it('HFS token shapes: a second e1, or ekem1 without an earlier e1 from the peer, is refused at construction', () => {
    expect(code(() => new HandshakeState({ role: 'initiator', pattern: { name: 'X', messages: [['e', 'e1', 'e1'], ['e', 'ee', 'ekem1']] } }))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => new HandshakeState({ role: 'responder', pattern: { name: 'X', messages: [['e'], ['e', 'ee', 'ekem1']] } }))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => new HandshakeState({ role: 'responder', pattern: { name: 'X', messages: [['e', 'e1', 'ekem1'], ['e', 'ee']] } }))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => new HandshakeState({ role: 'initiator', pattern: { name: 'NNhfs', messages: [['e', 'e1'], ['e', 'ee', 'ekem1']] } }))).toBeUndefined();
  });

  it('refuses malformed patterns: unknown token, ee before both ephemerals, a second e, no messages', () => {
    const bad: HandshakePattern[] = [
      { name: 'A', messages: [['e'], ['e', 'es' as Token]] },
      { name: 'B', messages: [['e', 'ee'], ['e']] },
      { name: 'C', messages: [['e'], ['e'], ['e']] },
      { name: 'D', messages: [] },
    ];
    for (const pattern of bad) expect(code(() => new HandshakeState({ role: 'initiator', pattern })), pattern.name).toBe('ERR_INVALID_ARGUMENT');
  });

  it('NN: a failed read changes nothing, and the valid message still works', () => {
    const i = new HandshakeState({ role: 'initiator', pattern: NN });
    const r = new HandshakeState({ role: 'responder', pattern: NN });
    r.readMessage(i.writeMessage());
    const m2 = r.writeMessage(utf8('ok'));
    const bad = m2.slice();
    bad[bad.length - 1]! ^= 1;
    expect(code(() => i.readMessage(bad))).toBe('ERR_AUTHENTICATION_FAILED');
    expect(code(() => i.readMessage(m2.subarray(0, 40)))).toBe('ERR_MALFORMED_MESSAGE');
    expect(i.isComplete).toBe(false);
    expect(hex(i.readMessage(m2))).toBe(hex(utf8('ok')));
    expect(hex(i.getHandshakeHash())).toBe(hex(r.getHandshakeHash()));
  });
});
