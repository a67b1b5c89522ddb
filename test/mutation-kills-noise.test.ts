/**
 * Tests that kill mutants which survived a StrykerJS run on bindings/noise (issue 13): the nonce
 * carry between the two 32-bit words of the CipherState counter, the disposed transport, a
 * handshake disposed mid-way, the deferred PSK and CipherState.clone/assign.
 */
import { describe, expect, it, vi } from 'vitest';
import { createHandshake } from '../bindings/noise/index.js';
import { CipherState } from '../bindings/noise/cipher-state.js';
import { HandshakeState, type HandshakePattern, type Token } from '../bindings/noise/handshake-state.js';
import { SymmetricState } from '../bindings/noise/symmetric-state.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import * as oracle from './oracle/noise.js';
import { expectCode, hexOf } from './oracle/harness.js';
import { bytesFromSeed } from './helpers/random.js';

const key = bytesFromSeed(1, 32);
const ad = bytesFromSeed(2, 7);
const plaintext = bytesFromSeed(3, 40);
const psk = bytesFromSeed(4, 32);

function pair(options: { deferPsk?: boolean } = {}) {
  const initiator = createHandshake({ role: 'initiator', psk });
  const responder = new HandshakeState({ role: 'responder', psk: options.deferPsk === true ? undefined : psk });
  return { initiator, responder };
}

describe('CipherState nonce: carry from the low to the high 32-bit word (Noise §5.1, §12.3)', () => {
  it('encrypts at n = 2^32 - 1 and then at n = 2^32 exactly as the noble oracle does', () => {
    const c = new CipherState();
    c.initializeKey(key);
    c.setNonce(0xffff_ffffn);
    expect(hexOf(c.encryptWithAd(ad, plaintext))).toBe(hexOf(oracle.ENCRYPT(key, 0xffff_ffffn, ad, plaintext)));
    expect(c.nonce).toBe(0x1_0000_0000n);
    // Without the carry this would be nonce 0 again (a keystream reuse).
    expect(hexOf(c.encryptWithAd(ad, plaintext))).toBe(hexOf(oracle.ENCRYPT(key, 0x1_0000_0000n, ad, plaintext)));
    expect(hexOf(c.encryptWithAd(ad, plaintext))).toBe(hexOf(oracle.ENCRYPT(key, 0x1_0000_0001n, ad, plaintext)));
    expect(c.nonce).toBe(0x1_0000_0002n);
  });

  it('decrypts across the carry too, and a failed decrypt there consumes nothing', () => {
    const c = new CipherState();
    c.initializeKey(key);
    c.setNonce(0xffff_ffffn);
    expect(hexOf(c.decryptWithAd(ad, oracle.ENCRYPT(key, 0xffff_ffffn, ad, plaintext)))).toBe(hexOf(plaintext));
    expect(c.nonce).toBe(0x1_0000_0000n);
    const next = oracle.ENCRYPT(key, 0x1_0000_0000n, ad, plaintext);
    expectCode(() => c.decryptWithAd(ad, oracle.ENCRYPT(key, 0n, ad, plaintext)), 'ERR_AUTHENTICATION_FAILED');
    expect(c.nonce).toBe(0x1_0000_0000n);
    expect(hexOf(c.decryptWithAd(ad, next))).toBe(hexOf(plaintext));
  });

  it('each byte of both words lands in the right place of the 96-bit nonce', () => {
    const c = new CipherState();
    c.initializeKey(key);
    const n = 0x8182_8384_0506_0708n;
    c.setNonce(n);
    expect(hexOf(c.encryptWithAd(ad, plaintext))).toBe(hexOf(oracle.ENCRYPT(key, n, ad, plaintext)));
  });
});

describe('CipherState.clone / assign (compute-then-commit)', () => {
  it('clone copies key and both nonce words, independently of the original', () => {
    const a = new CipherState();
    a.initializeKey(key);
    a.setNonce(0x5_0000_0007n);
    const b = a.clone();
    expect(b.nonce).toBe(0x5_0000_0007n);
    expect(hexOf(b.keyForTestingOnly()!)).toBe(hexOf(key));
    expect(b.liveKeyForTestingOnly()).not.toBe(a.liveKeyForTestingOnly());
    expect(hexOf(b.encryptWithAd(ad, plaintext))).toBe(hexOf(oracle.ENCRYPT(key, 0x5_0000_0007n, ad, plaintext)));
    expect(a.nonce).toBe(0x5_0000_0007n);
    a.destroy();
    expect(hexOf(b.keyForTestingOnly()!)).toBe(hexOf(key));
    const empty = new CipherState().clone();
    expect(empty.hasKey()).toBe(false);
  });

  it('assign takes key and nonce, wipes the key it replaces, and keeps no reference to the source', () => {
    const source = new CipherState();
    source.initializeKey(key);
    source.setNonce(0x3_0000_0009n);
    const target = new CipherState();
    target.initializeKey(bytesFromSeed(9, 32));
    const old = target.liveKeyForTestingOnly()!;
    target.assign(source);
    expect(old.every((b) => b === 0)).toBe(true);
    expect(target.nonce).toBe(0x3_0000_0009n);
    expect(hexOf(target.keyForTestingOnly()!)).toBe(hexOf(key));
    source.destroy();
    expect(hexOf(target.keyForTestingOnly()!)).toBe(hexOf(key));
    target.assign(new CipherState());
    expect(target.hasKey()).toBe(false);
    expect(target.nonce).toBe(0n);
  });
});

describe('raw Noise transport and handshake after dispose()', () => {
  function transports() {
    const { initiator } = pair();
    const responder = createHandshake({ role: 'responder', psk });
    responder.readMessage(initiator.writeMessage());
    initiator.readMessage(responder.writeMessage());
    return { a: initiator.split(), b: responder.split() };
  }

  it('a disposed transport refuses decrypt (it must not return its input as plaintext), encrypt and rekey', () => {
    const { a, b } = transports();
    const message = a.encrypt(plaintext);
    b.dispose();
    expectCode(() => b.decrypt(message), 'ERR_INVALID_STATE', 'transport was disposed');
    expectCode(() => b.encrypt(plaintext), 'ERR_INVALID_STATE', 'transport was disposed');
    expectCode(() => b.rekeySend(), 'ERR_INVALID_STATE', 'transport was disposed');
    expectCode(() => b.rekeyReceive(), 'ERR_INVALID_STATE', 'transport was disposed');
    b.dispose(); // a second dispose() is harmless
    expectCode(() => b.decrypt(message), 'ERR_INVALID_STATE', 'transport was disposed');
  });

  it('a handshake disposed mid-way refuses to read, write, hash or split, also after a second dispose()', () => {
    const { initiator, responder } = pair();
    responder.readMessage(initiator.writeMessage());
    responder.dispose();
    expectCode(() => responder.writeMessage(), 'ERR_INVALID_STATE', 'handshake was disposed');
    responder.dispose();
    expectCode(() => responder.writeMessage(), 'ERR_INVALID_STATE', 'handshake was disposed');
    initiator.dispose();
    expectCode(() => initiator.readMessage(new Uint8Array(48)), 'ERR_INVALID_STATE', 'handshake was disposed');
    expectCode(() => initiator.getHandshakeHash(), 'ERR_INVALID_STATE', 'handshake was disposed');
    expectCode(() => initiator.split(), 'ERR_INVALID_STATE', 'handshake was disposed');
  });
});

describe('deferred PSK (HandshakeState.setPsk)', () => {
  it('the psk token without a PSK fails typed and changes nothing; after setPsk the same message is accepted', () => {
    const { initiator, responder } = pair({ deferPsk: true });
    responder.readMessage(initiator.writeMessage());
    expectCode(() => responder.writeMessage(), 'ERR_INVALID_STATE', 'psk is not set: call setPsk() before the psk token');
    expectCode(() => responder.setPsk(new Uint8Array(31)), 'ERR_INVALID_KEY_LENGTH', 'psk must be 32 bytes (Noise §9.1)');
    responder.setPsk(bytesFromSeed(77, 32));
    const old = responder.liveSecretsForTestingOnly().at(-1)!;
    responder.setPsk(psk); // replacing a PSK wipes the previous copy
    expect(old.every((b) => b === 0)).toBe(true);
    initiator.readMessage(responder.writeMessage(plaintext));
    expect(hexOf(responder.getHandshakeHash())).toBe(hexOf(initiator.getHandshakeHash()));
  });

  it('a reader without a PSK fails typed, and the same message is accepted once the PSK is set', () => {
    const responder = createHandshake({ role: 'responder', psk });
    const initiator = new HandshakeState({ role: 'initiator' });
    responder.readMessage(initiator.writeMessage());
    const m2 = responder.writeMessage(plaintext);
    expectCode(() => initiator.readMessage(m2), 'ERR_INVALID_STATE', 'psk is not set: call setPsk() before the psk token');
    initiator.setPsk(psk);
    expect(hexOf(initiator.readMessage(m2))).toBe(hexOf(plaintext));
  });
});

describe('CipherState with an empty key and at the edges', () => {
  it('empty key: encrypt/decrypt return copies, consume no nonce, rekey is a no-op', () => {
    const c = new CipherState();
    c.initializeKey(key);
    c.initializeKey(null);
    expect(c.hasKey()).toBe(false);
    const out = c.encryptWithAd(ad, plaintext);
    expect(out).not.toBe(plaintext);
    expect(hexOf(out)).toBe(hexOf(plaintext));
    const back = c.decryptWithAd(ad, plaintext);
    expect(back).not.toBe(plaintext);
    expect(hexOf(back)).toBe(hexOf(plaintext));
    c.rekey();
    expect(c.hasKey()).toBe(false);
    expect(c.nonce).toBe(0n);
  });

  it('a ciphertext shorter than the tag fails as an authentication failure and consumes nothing', () => {
    const c = new CipherState();
    c.initializeKey(key);
    expectCode(() => c.decryptWithAd(ad, new Uint8Array(15)), 'ERR_AUTHENTICATION_FAILED');
    expect(c.nonce).toBe(0n);
    expect(hexOf(c.decryptWithAd(ad, oracle.ENCRYPT(key, 0n, ad, new Uint8Array(0))))).toBe('');
  });
});

describe('HandshakeState message edges', () => {
  it('createHandshake(null) is a typed caller error', () => {
    expectCode(() => createHandshake(null as never), 'ERR_INVALID_ARGUMENT', 'options must be an object');
  });

  it('message 1 of 31 bytes lacks the ephemeral; of 32 to 47 bytes, the payload tag; 48 bytes is the minimum', () => {
    const { initiator, responder } = pair();
    const m1 = initiator.writeMessage();
    expect(m1.length).toBe(48);
    expectCode(() => responder.readMessage(m1.subarray(0, 31)), 'ERR_MALFORMED_MESSAGE', 'handshake message is too short for the ephemeral public key');
    expectCode(() => responder.readMessage(m1.subarray(0, 32)), 'ERR_MALFORMED_MESSAGE', 'handshake message is too short for the payload tag');
    expectCode(() => responder.readMessage(m1.subarray(0, 47)), 'ERR_MALFORMED_MESSAGE', 'handshake message is too short for the payload tag');
    expect(responder.readMessage(m1).length).toBe(0);
  });

  it('the largest payload fits and one byte more is refused with the exact limit in the message', () => {
    const { initiator } = pair();
    expectCode(() => initiator.writeMessage(new Uint8Array(65_535 - 48 + 1)), 'ERR_PAYLOAD_TOO_LARGE', 'payload must be at most 65487 bytes (message limit 65535, Noise §3)');
    expect(initiator.writeMessage(new Uint8Array(65_535 - 48)).length).toBe(65_535);
  });

  it('the handshake hash returned is a copy: changing it changes nothing', () => {
    const { initiator } = pair();
    const responder = createHandshake({ role: 'responder', psk });
    responder.readMessage(initiator.writeMessage());
    initiator.readMessage(responder.writeMessage());
    const h = initiator.getHandshakeHash();
    const expected = hexOf(h);
    h.fill(0);
    expect(hexOf(initiator.getHandshakeHash())).toBe(expected);
    expect(hexOf(responder.getHandshakeHash())).toBe(expected);
  });
});

describe('CipherState errors: messages and causes', () => {
  it('nonce exhaustion says why and what to do, for encrypt and decrypt (Noise §5.1)', () => {
    const c = new CipherState();
    c.initializeKey(key);
    c.setNonce(0xffff_ffff_ffff_ffffn);
    const message = 'nonce exhausted: 2^64 - 1 messages were processed with this key (Noise §5.1); end the session';
    expectCode(() => c.encryptWithAd(ad, plaintext), 'ERR_NONCE_EXHAUSTED', message);
    expectCode(() => c.decryptWithAd(ad, new Uint8Array(16)), 'ERR_NONCE_EXHAUSTED', message);
    expect(c.nonce).toBe(0xffff_ffff_ffff_ffffn);
  });

  it('a forged or short ciphertext: the uniform message, the caller’s label (default "ciphertext") and the AEAD error in the cause', () => {
    const c = new CipherState();
    c.initializeKey(key);
    const forged = oracle.ENCRYPT(key, 0n, ad, plaintext);
    forged[0]! ^= 1;
    const causeOf = (fn: () => unknown) => expectCode(fn, 'ERR_AUTHENTICATION_FAILED', 'authentication failed').cause as { reason: string; error: { code: string; cause: unknown } };
    const tag = causeOf(() => c.decryptWithAd(ad, forged));
    expect(tag.reason).toBe('ciphertext');
    expect(tag.error.code).toBe('ERR_AUTHENTICATION_FAILED');
    expect(tag.error.cause).toBe('tag mismatch');
    const short = causeOf(() => c.decryptWithAd(ad, new Uint8Array(15), 'record'));
    expect(short.reason).toBe('record');
    expect(short.error.cause).toBe('ciphertext shorter than the tag');
    expect(c.nonce).toBe(0n);
  });

  it('a caller error inside the AEAD (associated data that is not bytes) stays a caller error, not an authentication failure', () => {
    const c = new CipherState();
    c.initializeKey(key);
    expectCode(() => c.decryptWithAd('h' as never, oracle.ENCRYPT(key, 0n, ad, plaintext)), 'ERR_INVALID_ARGUMENT');
    expect(c.nonce).toBe(0n);
  });
});

describe('SymmetricState.initialize: the protocol name rule of Noise §5.2', () => {
  const ascii = (s: string) => new TextEncoder().encode(s);

  it('a name of at most 32 bytes is h itself, zero-padded; a longer one is hashed; the default is NNpsk2’s hash', () => {
    const exact = 'Noise_NN_25519_ChaChaPoly_SHA256'; // exactly HASHLEN = 32 bytes
    expect(exact.length).toBe(32);
    expect(hexOf(SymmetricState.initialize(exact).handshakeHash)).toBe(hexOf(ascii(exact)));
    expect(hexOf(SymmetricState.initialize(exact).chainingKey)).toBe(hexOf(ascii(exact)));
    const padded = new Uint8Array(32);
    padded.set(ascii('Noise_N'));
    expect(hexOf(SymmetricState.initialize('Noise_N').handshakeHash)).toBe(hexOf(padded));
    const longer = 'Noise_NNpsk0_25519_ChaChaPoly_SHA256';
    expect(hexOf(SymmetricState.initialize(longer).handshakeHash)).toBe(hexOf(nobleSha256(ascii(longer))));
    // The cached default and an explicit other name do not leak into each other, in either order.
    expect(hexOf(SymmetricState.initialize().handshakeHash)).toBe(hexOf(nobleSha256(ascii(oracle.PROTOCOL_NAME))));
    expect(hexOf(SymmetricState.initialize(longer).handshakeHash)).toBe(hexOf(nobleSha256(ascii(longer))));
    expect(hexOf(SymmetricState.initialize(oracle.PROTOCOL_NAME).handshakeHash)).toBe(hexOf(nobleSha256(ascii(oracle.PROTOCOL_NAME))));
  });

  it('liveSecretsForTestingOnly lists ck alone while k is empty, then ck and k', () => {
    const s = SymmetricState.initialize();
    expect(s.liveSecretsForTestingOnly().length).toBe(1);
    s.mixKey(key);
    expect(s.liveSecretsForTestingOnly().length).toBe(2);
    expect(s.liveSecretsForTestingOnly()[1]).toBe(s.cipher.liveKeyForTestingOnly());
  });

  it('clone and assign share no mutable state: h moves on independently, ck and k are copies', () => {
    const a = SymmetricState.initialize();
    a.mixKey(key);
    const hA = hexOf(a.handshakeHash);
    const ckA = hexOf(a.chainingKey);
    const b = a.clone();
    b.mixHash(plaintext);
    expect(hexOf(a.handshakeHash)).toBe(hA);
    expect(hexOf(b.handshakeHash)).toBe(hexOf(nobleSha256(oracle.cat(a.handshakeHash, plaintext))));
    const c = SymmetricState.initialize();
    c.assign(a);
    a.mixHash(ad);
    a.destroy();
    expect(hexOf(c.handshakeHash)).toBe(hA);
    expect(hexOf(c.chainingKey)).toBe(ckA);
    expect(hexOf(c.cipher.keyForTestingOnly()!)).toBe(hexOf(b.cipher.keyForTestingOnly()!));
  });
});

describe('HandshakeState: every caller and lifecycle error says what went wrong', () => {
  const NN: HandshakePattern = { name: 'NN', messages: [['e'], ['e', 'ee']] };

  it('construction: role, onKeyStage, fixed ephemeral, prologue', () => {
    expectCode(() => new HandshakeState({ role: 'server' as never, psk }), 'ERR_INVALID_ARGUMENT', "role must be 'initiator' or 'responder'");
    expectCode(() => new HandshakeState({ role: 'initiator', psk, onKeyStage: 'x' as never }), 'ERR_INVALID_ARGUMENT', 'onKeyStage must be a function');
    expectCode(() => new HandshakeState({ role: 'initiator', psk, fixedEphemeralPrivateKeyForTestingOnly: new Uint8Array(33) }), 'ERR_INVALID_KEY_LENGTH', 'fixedEphemeralPrivateKeyForTestingOnly must be 32 bytes');
    expectCode(() => new HandshakeState({ role: 'initiator', psk, fixedEphemeralPrivateKeyForTestingOnly: [...key] as never }), 'ERR_INVALID_KEY_LENGTH', 'fixedEphemeralPrivateKeyForTestingOnly must be 32 bytes');
    expectCode(() => new HandshakeState({ role: 'initiator', psk: [...psk] as never }), 'ERR_INVALID_KEY_LENGTH', 'psk must be 32 bytes (Noise §9.1)');
    expectCode(() => new HandshakeState({ role: 'initiator', psk, prologue: 'p' as never }), 'ERR_INVALID_ARGUMENT');
  });

  it('patterns: each malformed shape is refused with its own message', () => {
    const shape = 'pattern must be { name: string, messages: Token[][] } with at least one message';
    for (const pattern of [null, 'NN', { messages: [['e']] }, { name: 1, messages: [['e']] }, { name: 'X', messages: 'e' }, { name: 'X', messages: [] }]) {
      expectCode(() => new HandshakeState({ role: 'initiator', pattern: pattern as never }), 'ERR_INVALID_ARGUMENT', shape);
    }
    expectCode(() => new HandshakeState({ role: 'initiator', pattern: { name: 'X', messages: [['e'], 'e' as never] } }), 'ERR_INVALID_ARGUMENT', 'each message pattern must be an array of tokens');
    expectCode(() => new HandshakeState({ role: 'initiator', pattern: { name: 'X', messages: [['e'], ['e', 'se' as Token]] } }), 'ERR_INVALID_ARGUMENT', 'unknown token "se" in message 2 of X');
    expectCode(() => new HandshakeState({ role: 'initiator', pattern: { name: 'X', messages: [['e1', 'e1']] } }), 'ERR_INVALID_ARGUMENT', "message 1 of X sends a second 'e1' (Noise HFS §4)");
    expectCode(() => new HandshakeState({ role: 'initiator', pattern: { name: 'X', messages: [['e1'], ['ekem1'], ['ekem1']] } }), 'ERR_INVALID_ARGUMENT', "'ekem1' in message 3 of X needs exactly one earlier 'e1' from the peer (Noise HFS §4)");
    expectCode(() => new HandshakeState({ role: 'initiator', pattern: { name: 'X', messages: [['e'], ['e'], ['e']] } }), 'ERR_INVALID_ARGUMENT', "message 3 of X sends a second 'e' (Noise §7.3)");
    expectCode(() => new HandshakeState({ role: 'initiator', pattern: { name: 'X', messages: [['e'], ['ee', 'e']] } }), 'ERR_INVALID_ARGUMENT', "'ee' in message 2 of X comes before both ephemerals (Noise §7.3)");
    expectCode(() => new HandshakeState({ role: 'initiator', pattern: { name: 'X', messages: [['e', 'ee'], ['e']] } }), 'ERR_INVALID_ARGUMENT', "'ee' in message 1 of X comes before both ephemerals (Noise §7.3)");
    // The responder's first e is not the initiator's second: NN's shape is accepted.
    expect(new HandshakeState({ role: 'responder', pattern: NN }).isComplete).toBe(false);
  });

  it('the pattern given is copied: changing it afterwards changes nothing', () => {
    const messages: Token[][] = [['e'], ['e', 'ee']];
    const i = new HandshakeState({ role: 'initiator', pattern: { name: 'NN', messages } });
    const r = new HandshakeState({ role: 'responder', pattern: NN });
    messages[1]!.push('psk');
    messages.push(['e']);
    r.readMessage(i.writeMessage());
    i.readMessage(r.writeMessage());
    expect(i.isComplete && r.isComplete).toBe(true);
  });

  it('turns, completion, hash, split and the final chaining key: exact messages', () => {
    const initiator = new HandshakeState({ role: 'initiator', psk });
    const responder = new HandshakeState({ role: 'responder', psk });
    expectCode(() => initiator.readMessage(new Uint8Array(48)), 'ERR_INVALID_STATE', 'it is our turn to send: call writeMessage()');
    expectCode(() => responder.writeMessage(), 'ERR_INVALID_STATE', 'it is the peer’s turn to send: call readMessage()');
    expectCode(() => initiator.getHandshakeHash(), 'ERR_INVALID_STATE', 'the handshake hash is final only once the handshake is complete');
    expectCode(() => initiator.splitCipherStates(), 'ERR_INVALID_STATE', 'split() needs a complete handshake');
    expectCode(() => initiator.finalChainingKey(), 'ERR_INVALID_STATE', 'the chaining key is final only once the handshake is complete');
    responder.readMessage(initiator.writeMessage());
    expectCode(() => responder.readMessage(new Uint8Array(48)), 'ERR_INVALID_STATE', 'it is our turn to send: call writeMessage()');
    expectCode(() => initiator.writeMessage(), 'ERR_INVALID_STATE', 'it is the peer’s turn to send: call readMessage()');
    expectCode(() => initiator.readMessage(new Uint8Array(65_536)), 'ERR_MESSAGE_TOO_LARGE', 'handshake message exceeds 65535 bytes (Noise §3)');
    initiator.readMessage(responder.writeMessage());
    for (const side of [initiator, responder]) {
      expectCode(() => side.writeMessage(), 'ERR_INVALID_STATE', 'handshake is already complete');
      expectCode(() => side.readMessage(new Uint8Array(48)), 'ERR_INVALID_STATE', 'handshake is already complete');
    }
    const ck = initiator.finalChainingKey();
    expect(hexOf(ck)).toBe(hexOf(responder.finalChainingKey()));
    expect(hexOf(ck)).toBe(hexOf(initiator.symmetricForTestingOnly().chainingKey));
    ck.fill(0); // a copy: the state keeps its own
    expect(hexOf(initiator.finalChainingKey())).toBe(hexOf(responder.finalChainingKey()));
    initiator.splitCipherStates();
    expectCode(() => initiator.splitCipherStates(), 'ERR_INVALID_STATE', 'split() was already called');
    expectCode(() => initiator.finalChainingKey(), 'ERR_INVALID_STATE', 'split() was already called');
    initiator.dispose();
    expectCode(() => initiator.finalChainingKey(), 'ERR_INVALID_STATE', 'handshake was disposed');
    expectCode(() => initiator.splitCipherStates(), 'ERR_INVALID_STATE', 'handshake was disposed');
  });

  it('onKeyStage sees K1 (the ee DH output) and K2 (ck after psk), each wiped after the call; a throwing observer fails the step and changes nothing', () => {
    const seen: { token: string; copy: string; live: Uint8Array }[] = [];
    const onKeyStage = (token: 'ee' | 'ekem1' | 'psk', secret: Uint8Array) => void seen.push({ token, copy: hexOf(secret), live: secret });
    const ei = bytesFromSeed(40, 32);
    const er = bytesFromSeed(41, 32);
    const initiator = new HandshakeState({ role: 'initiator', psk, onKeyStage, fixedEphemeralPrivateKeyForTestingOnly: ei });
    const responder = new HandshakeState({ role: 'responder', psk, onKeyStage, fixedEphemeralPrivateKeyForTestingOnly: er });
    responder.readMessage(initiator.writeMessage());
    expect(seen.length).toBe(0);
    const m2 = responder.writeMessage();
    initiator.readMessage(m2);
    expect(seen.map((s) => s.token)).toStrictEqual(['ee', 'psk', 'ee', 'psk']);
    const k1 = hexOf(oracle.DH(ei, oracle.publicKeyOf(er)));
    expect(seen[0]!.copy).toBe(k1);
    expect(seen[2]!.copy).toBe(k1);
    expect(seen[1]!.copy).toBe(hexOf(initiator.finalChainingKey()));
    expect(seen[3]!.copy).toBe(hexOf(initiator.finalChainingKey()));
    expect(seen.every((s) => s.live.every((b) => b === 0))).toBe(true);

    const failing = new HandshakeState({ role: 'initiator', psk, fixedEphemeralPrivateKeyForTestingOnly: ei, onKeyStage: (token) => {
      if (token === 'psk') throw new Error('observer failed');
    } });
    const r2 = new HandshakeState({ role: 'responder', psk, fixedEphemeralPrivateKeyForTestingOnly: er });
    r2.readMessage(failing.writeMessage());
    const m2b = r2.writeMessage();
    const before = failing.liveSecretsForTestingOnly();
    expect(() => failing.readMessage(m2b)).toThrow('observer failed');
    expect(failing.isComplete).toBe(false);
    expect(before.every((a) => a.some((b) => b !== 0))).toBe(true);
  });
});

describe('raw Noise transport: limits and messages (Noise §3)', () => {
  function transports() {
    const initiator = createHandshake({ role: 'initiator', psk });
    const responder = createHandshake({ role: 'responder', psk });
    expect(initiator.role).toBe('initiator');
    expect(responder.role).toBe('responder');
    expect(initiator.isComplete).toBe(false);
    responder.readMessage(initiator.writeMessage());
    initiator.readMessage(responder.writeMessage());
    expect(initiator.isComplete && responder.isComplete).toBe(true);
    return { a: initiator.split(), b: responder.split() };
  }

  it('plaintext limit 65,519, message limit 65,535, shorter than the tag: exact messages; 16 bytes is a (failing) message', () => {
    const { a, b } = transports();
    expectCode(() => a.encrypt(new Uint8Array(65_520)), 'ERR_PAYLOAD_TOO_LARGE', 'plaintext must be at most 65519 bytes (Noise §3)');
    expectCode(() => b.decrypt(new Uint8Array(65_536)), 'ERR_MESSAGE_TOO_LARGE', 'transport message exceeds 65535 bytes (Noise §3)');
    expectCode(() => b.decrypt(new Uint8Array(15)), 'ERR_MALFORMED_MESSAGE', 'transport message is shorter than the tag');
    const error = expectCode(() => b.decrypt(new Uint8Array(16)), 'ERR_AUTHENTICATION_FAILED', 'authentication failed');
    expect((error.cause as { reason: string }).reason).toBe('transport message');
    expectCode(() => a.encrypt('x' as never), 'ERR_INVALID_ARGUMENT');
    expectCode(() => b.decrypt('x' as never), 'ERR_INVALID_ARGUMENT');
    expect(b.decrypt(a.encrypt(new Uint8Array(0))).length).toBe(0);
    expect(a.decrypt(b.encrypt(plaintext)).length).toBe(plaintext.length);
  });

  it('dispose() wipes both keys of the transport', () => {
    const state = new HandshakeState({ role: 'initiator', psk });
    const responder = new HandshakeState({ role: 'responder', psk });
    responder.readMessage(state.writeMessage());
    state.readMessage(responder.writeMessage());
    const [c1, c2] = state.splitCipherStates();
    const k1 = c1.liveKeyForTestingOnly()!;
    const k2 = c2.liveKeyForTestingOnly()!;
    expect(k1.some((x) => x !== 0) && k2.some((x) => x !== 0)).toBe(true);
    c1.destroy();
    c2.destroy();
    expect(k1.every((x) => x === 0) && k2.every((x) => x === 0)).toBe(true);
  });
});

describe('HandshakeState: a MixKey whose cipher key the next token replaces computes only ck', () => {
  function countMixKeys(run: () => void): { full: number; chainingKeyOnly: number } {
    const full = vi.spyOn(SymmetricState.prototype, 'mixKey');
    const chainingKeyOnly = vi.spyOn(SymmetricState.prototype, 'mixKeyChainingKeyOnly');
    try {
      run();
      return { full: full.mock.calls.length, chainingKeyOnly: chainingKeyOnly.mock.calls.length };
    } finally {
      full.mockRestore();
      chainingKeyOnly.mockRestore();
    }
  }

  it('NNpsk2: message 1’s e keys its payload (full MixKey); message 2’s e (before ee) and ee (before psk) compute only ck', () => {
    const initiator = new HandshakeState({ role: 'initiator', psk });
    const responder = new HandshakeState({ role: 'responder', psk });
    expect(countMixKeys(() => responder.readMessage(initiator.writeMessage(plaintext)))).toStrictEqual({ full: 2, chainingKeyOnly: 0 });
    expect(countMixKeys(() => initiator.readMessage(responder.writeMessage(plaintext)))).toStrictEqual({ full: 0, chainingKeyOnly: 4 });
    expect(hexOf(initiator.getHandshakeHash())).toBe(hexOf(responder.getHandshakeHash()));
  });

  it('e directly before psk computes only ck, and ee before the payload keys it: the result is still the same on both sides', () => {
    const pattern: HandshakePattern = { name: 'NNpskX', messages: [['e'], ['e', 'psk', 'ee']] };
    const initiator = new HandshakeState({ role: 'initiator', psk, pattern });
    const responder = new HandshakeState({ role: 'responder', psk, pattern });
    responder.readMessage(initiator.writeMessage());
    let payload: Uint8Array | undefined;
    expect(countMixKeys(() => (payload = initiator.readMessage(responder.writeMessage(plaintext))))).toStrictEqual({ full: 2, chainingKeyOnly: 2 });
    expect(hexOf(payload!)).toBe(hexOf(plaintext));
  });
});

describe('HandshakeState: patterns beyond NNpsk2 exercise each token rule', () => {
  const NN: HandshakePattern = { name: 'NN', messages: [['e'], ['e', 'ee']] };

  it('payload limits follow each message’s overhead: NN 32 then 48 bytes, a psk-only message 16 (Noise §3)', () => {
    const i = new HandshakeState({ role: 'initiator', pattern: NN });
    const r = new HandshakeState({ role: 'responder', pattern: NN });
    expectCode(() => i.writeMessage(new Uint8Array(65_504)), 'ERR_PAYLOAD_TOO_LARGE', 'payload must be at most 65503 bytes (message limit 65535, Noise §3)');
    const m1 = i.writeMessage(new Uint8Array(65_503));
    expect(m1.length).toBe(65_535);
    r.readMessage(m1);
    expectCode(() => r.writeMessage(new Uint8Array(65_488)), 'ERR_PAYLOAD_TOO_LARGE', 'payload must be at most 65487 bytes (message limit 65535, Noise §3)');
    expect(i.readMessage(r.writeMessage(new Uint8Array(65_487))).length).toBe(65_487);

    const pskOnly: HandshakePattern = { name: 'Npsk', messages: [['psk']] };
    const a = new HandshakeState({ role: 'initiator', pattern: pskOnly, psk });
    const b = new HandshakeState({ role: 'responder', pattern: pskOnly, psk });
    expectCode(() => a.writeMessage(new Uint8Array(65_520)), 'ERR_PAYLOAD_TOO_LARGE', 'payload must be at most 65519 bytes (message limit 65535, Noise §3)');
    const only = a.writeMessage(plaintext); // completes the handshake of a side that never had an ephemeral
    expect(only.length).toBe(plaintext.length + 16);
    expect(a.isComplete).toBe(true);
    expect(hexOf(b.readMessage(only))).toBe(hexOf(plaintext));
    expect(hexOf(a.getHandshakeHash())).toBe(hexOf(b.getHandshakeHash()));
  });

  it('a psk token before the e fails typed (no ephemeral generated yet) and the message works once the PSK is set', () => {
    const pattern: HandshakePattern = { name: 'NNpsk0', messages: [['psk', 'e'], ['e', 'ee']] };
    const i = new HandshakeState({ role: 'initiator', pattern });
    const r = new HandshakeState({ role: 'responder', pattern, psk });
    expectCode(() => i.writeMessage(), 'ERR_INVALID_STATE', 'psk is not set: call setPsk() before the psk token');
    i.setPsk(psk);
    r.readMessage(i.writeMessage(plaintext));
    i.readMessage(r.writeMessage());
    expect(hexOf(i.getHandshakeHash())).toBe(hexOf(r.getHandshakeHash()));
  });

  it('a message without an e keeps the ephemeral of an earlier message', () => {
    const pattern: HandshakePattern = { name: 'NN2', messages: [['e'], ['e', 'ee'], [], ['ee']] };
    const i = new HandshakeState({ role: 'initiator', pattern });
    const r = new HandshakeState({ role: 'responder', pattern });
    r.readMessage(i.writeMessage());
    i.readMessage(r.writeMessage());
    r.readMessage(i.writeMessage(plaintext)); // message 3: no token, the payload only
    expect(i.liveSecretsForTestingOnly().length).toBe(3); // ck, k and the ephemeral still held
    i.readMessage(r.writeMessage(plaintext)); // message 4: ee again needs both ephemerals
    expect(hexOf(i.getHandshakeHash())).toBe(hexOf(r.getHandshakeHash()));
  });

  it('a failed write does not wipe the fixed ephemeral: the retry sends the oracle’s message 2', () => {
    const er = bytesFromSeed(42, 32);
    const ei = bytesFromSeed(43, 32);
    const initiator = new HandshakeState({ role: 'initiator', psk, fixedEphemeralPrivateKeyForTestingOnly: ei });
    const responder = new HandshakeState({ role: 'responder', fixedEphemeralPrivateKeyForTestingOnly: er });
    const m1 = initiator.writeMessage();
    responder.readMessage(m1);
    expectCode(() => responder.writeMessage(), 'ERR_INVALID_STATE');
    responder.setPsk(psk);
    const m2 = responder.writeMessage();
    const o = oracle.initialize(false, new Uint8Array(0), psk, er);
    oracle.readMessage1(o, m1);
    expect(hexOf(m2)).toBe(hexOf(oracle.writeMessage2(o, new Uint8Array(0))));
  });

  it('argument labels: prologue, payload and message that are not bytes', () => {
    expectCode(() => new HandshakeState({ role: 'initiator', psk, prologue: 'p' as never }), 'ERR_INVALID_ARGUMENT', 'prologue must be a Uint8Array');
    const i = new HandshakeState({ role: 'initiator', psk });
    const r = new HandshakeState({ role: 'responder', psk });
    expectCode(() => i.writeMessage('x' as never), 'ERR_INVALID_ARGUMENT', 'payload must be a Uint8Array');
    expectCode(() => r.readMessage('x' as never), 'ERR_INVALID_ARGUMENT', 'message must be a Uint8Array');
  });
});

describe('HandshakeState: the working copy of each step is wiped, on success and on failure', () => {
  function clonesDuring(run: () => void): SymmetricState[] {
    const clones: SymmetricState[] = [];
    const original = SymmetricState.prototype.clone;
    const spy = vi.spyOn(SymmetricState.prototype, 'clone').mockImplementation(function (this: SymmetricState) {
      const copy = original.call(this);
      clones.push(copy);
      return copy;
    });
    try {
      run();
    } finally {
      spy.mockRestore();
    }
    return clones;
  }
  const wiped = (clones: SymmetricState[]) => clones.length > 0 && clones.every((c) => c.liveSecretsForTestingOnly().every((a) => a.every((b) => b === 0)));

  it('a successful write and read', () => {
    const i = new HandshakeState({ role: 'initiator', psk });
    const r = new HandshakeState({ role: 'responder', psk });
    let m1: Uint8Array = new Uint8Array(0);
    expect(wiped(clonesDuring(() => (m1 = i.writeMessage())))).toBe(true);
    expect(wiped(clonesDuring(() => r.readMessage(m1)))).toBe(true);
  });

  it('a failed write (no PSK) and a failed read (bad tag)', () => {
    const i = new HandshakeState({ role: 'initiator', psk });
    const r = new HandshakeState({ role: 'responder' });
    const m1 = i.writeMessage();
    r.readMessage(m1);
    expect(wiped(clonesDuring(() => expectCode(() => r.writeMessage(), 'ERR_INVALID_STATE')))).toBe(true);
    const forged = m1.slice();
    forged[40]! ^= 1;
    const r2 = new HandshakeState({ role: 'responder', psk });
    expect(wiped(clonesDuring(() => expectCode(() => r2.readMessage(forged), 'ERR_AUTHENTICATION_FAILED')))).toBe(true);
    expect(r2.readMessage(m1).length).toBe(0);
  });
});

describe('createHandshake (e2e2/noise): options and the transport’s wipes', () => {
  it('options that are not an object: one typed message, also for a string', () => {
    expectCode(() => createHandshake('initiator' as never), 'ERR_INVALID_ARGUMENT', 'options must be an object');
    expectCode(() => createHandshake(undefined as never), 'ERR_INVALID_ARGUMENT', 'options must be an object');
  });

  it('transport arguments that are not bytes are named in the message', () => {
    const initiator = createHandshake({ role: 'initiator', psk });
    const responder = createHandshake({ role: 'responder', psk });
    responder.readMessage(initiator.writeMessage());
    initiator.readMessage(responder.writeMessage());
    const t = initiator.split();
    expectCode(() => t.encrypt([1] as never), 'ERR_INVALID_ARGUMENT', 'plaintext must be a Uint8Array');
    expectCode(() => t.decrypt([1] as never), 'ERR_INVALID_ARGUMENT', 'ciphertext must be a Uint8Array');
  });

  it('transport dispose() zeroes the sending and the receiving key', () => {
    const keys: Uint8Array[] = [];
    const original = SymmetricState.prototype.split;
    const spy = vi.spyOn(SymmetricState.prototype, 'split').mockImplementation(function (this: SymmetricState) {
      const pair = original.call(this);
      for (const c of pair) keys.push(c.liveKeyForTestingOnly()!);
      return pair;
    });
    try {
      const initiator = createHandshake({ role: 'initiator', psk });
      const responder = createHandshake({ role: 'responder', psk });
      responder.readMessage(initiator.writeMessage());
      initiator.readMessage(responder.writeMessage());
      const a = initiator.split();
      const b = responder.split();
      expect(hexOf(b.decrypt(a.encrypt(plaintext)))).toBe(hexOf(plaintext));
      expect(keys.length).toBe(4);
      expect(keys.every((k) => k.some((x) => x !== 0))).toBe(true);
      a.dispose();
      expect(keys.slice(0, 2).every((k) => k.every((x) => x === 0))).toBe(true);
      expect(keys.slice(2).every((k) => k.some((x) => x !== 0))).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('HandshakeState HFS: the KEM output is wiped after the observer saw it', () => {
  it('NNhfs+psk2: onKeyStage sees ekem1 on both sides, equal, and each array is zero afterwards', async () => {
    const { NNHFS_PSK2 } = await import('../bindings/noise/handshake-state.js');
    const seen: { token: string; copy: string; live: Uint8Array }[] = [];
    const onKeyStage = (token: 'ee' | 'ekem1' | 'psk', secret: Uint8Array) => void seen.push({ token, copy: hexOf(secret), live: secret });
    const i = new HandshakeState({ role: 'initiator', psk, pattern: NNHFS_PSK2, onKeyStage });
    const r = new HandshakeState({ role: 'responder', psk, pattern: NNHFS_PSK2, onKeyStage });
    r.readMessage(i.writeMessage());
    i.readMessage(r.writeMessage());
    const kem = seen.filter((s) => s.token === 'ekem1');
    expect(kem.length).toBe(2);
    expect(kem[0]!.copy).toBe(kem[1]!.copy);
    expect(kem[0]!.copy).not.toBe('00'.repeat(32));
    expect(kem.every((s) => s.live.every((b) => b === 0))).toBe(true);
    expectCode(() => new HandshakeState({ role: 'responder', psk, pattern: NNHFS_PSK2, fixedKemMessageForTestingOnly: new Uint8Array(31) }), 'ERR_INVALID_KEY_LENGTH', 'fixedKemMessageForTestingOnly must be 32 bytes');
  });
});
