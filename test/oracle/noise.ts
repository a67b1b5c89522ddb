/**
 * Differential oracle, part 1: Noise_NNpsk2_25519_ChaChaPoly_SHA256 written from the Noise
 * specification (revision 34) text on @noble/curves, @noble/hashes and @noble/ciphers only.
 * It shares no code with bindings/: HKDF is the literal HMAC chain of Noise §4.3, nonces are
 * built with a DataView, the token rules are spelled out per message.
 *
 * Not constant-time and not hardened: it exists to be obviously correct and to disagree loudly.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';

export const PROTOCOL_NAME = 'Noise_NNpsk2_25519_ChaChaPoly_SHA256';

export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// §4.3 HMAC-HASH and HKDF with 2 or 3 outputs, exactly as written.
export function HMAC(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(sha256, key, data);
}

export function HKDF(chainingKey: Uint8Array, ikm: Uint8Array, numOutputs: 2 | 3): Uint8Array[] {
  const tempKey = HMAC(chainingKey, ikm);
  const output1 = HMAC(tempKey, new Uint8Array([0x01]));
  const output2 = HMAC(tempKey, cat(output1, new Uint8Array([0x02])));
  if (numOutputs === 2) return [output1, output2];
  const output3 = HMAC(tempKey, cat(output2, new Uint8Array([0x03])));
  return [output1, output2, output3];
}

// §12.3: 32 bits of zeros followed by the little-endian encoding of n.
export function chachaPolyNonce(n: bigint): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(4, n, true);
  return nonce;
}

export function ENCRYPT(k: Uint8Array, n: bigint, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return chacha20poly1305(k, chachaPolyNonce(n), ad).encrypt(plaintext);
}

export function DECRYPT(k: Uint8Array, n: bigint, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return chacha20poly1305(k, chachaPolyNonce(n), ad).decrypt(ciphertext);
}

export const MAX_NONCE = (1n << 64n) - 1n;

// §4.2 default REKEY.
export function REKEY(k: Uint8Array): Uint8Array {
  return ENCRYPT(k, MAX_NONCE, new Uint8Array(0), new Uint8Array(32)).slice(0, 32);
}

export function DH(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return x25519.getSharedSecret(privateKey, publicKey);
}

export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(privateKey);
}

/** §5.1 CipherState as a plain record. */
export interface Cipher {
  k: Uint8Array | null;
  n: bigint;
}

export function encryptWithAd(c: Cipher, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (c.k === null) return plaintext;
  if (c.n === MAX_NONCE) throw new Error('oracle: nonce exhausted');
  const out = ENCRYPT(c.k, c.n, ad, plaintext);
  c.n += 1n;
  return out;
}

export function decryptWithAd(c: Cipher, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  if (c.k === null) return ciphertext;
  if (c.n === MAX_NONCE) throw new Error('oracle: nonce exhausted');
  const out = DECRYPT(c.k, c.n, ad, ciphertext); // throws on a bad tag, n unchanged
  c.n += 1n;
  return out;
}

/** §5.2 SymmetricState as a plain record; `trace` records every value after each operation. */
export interface Symmetric {
  ck: Uint8Array;
  h: Uint8Array;
  c: Cipher;
  /** null when tracing is off (the benchmark's noble contender). */
  trace: { op: string; ck: Uint8Array; h: Uint8Array; k: Uint8Array | null }[] | null;
}

function record(s: Symmetric, op: string): void {
  s.trace?.push({ op, ck: s.ck.slice(), h: s.h.slice(), k: s.c.k?.slice() ?? null });
}

export function initializeSymmetric(trace = true, protocolName = PROTOCOL_NAME): Symmetric {
  const name = new TextEncoder().encode(protocolName);
  let h: Uint8Array;
  if (name.length <= 32) {
    h = new Uint8Array(32);
    h.set(name);
  } else {
    h = sha256(name);
  }
  const s: Symmetric = { ck: h.slice(), h, c: { k: null, n: 0n }, trace: trace ? [] : null };
  record(s, 'InitializeSymmetric');
  return s;
}

export function mixKey(s: Symmetric, ikm: Uint8Array, op = 'MixKey'): void {
  const [ck, tempK] = HKDF(s.ck, ikm, 2);
  s.ck = ck!;
  s.c = { k: tempK!, n: 0n };
  record(s, op);
}

export function mixHash(s: Symmetric, data: Uint8Array, op = 'MixHash'): void {
  s.h = sha256(cat(s.h, data));
  record(s, op);
}

export function mixKeyAndHash(s: Symmetric, ikm: Uint8Array, op = 'MixKeyAndHash'): void {
  const [ck, tempH, tempK] = HKDF(s.ck, ikm, 3);
  s.ck = ck!;
  s.h = sha256(cat(s.h, tempH!));
  s.c = { k: tempK!, n: 0n };
  record(s, op);
}

export function encryptAndHash(s: Symmetric, plaintext: Uint8Array): Uint8Array {
  const ciphertext = encryptWithAd(s.c, s.h, plaintext);
  mixHash(s, ciphertext, 'EncryptAndHash');
  return ciphertext;
}

export function decryptAndHash(s: Symmetric, ciphertext: Uint8Array): Uint8Array {
  const plaintext = decryptWithAd(s.c, s.h, ciphertext);
  mixHash(s, ciphertext, 'DecryptAndHash');
  return plaintext;
}

export function split(s: Symmetric): [Cipher, Cipher] {
  const [k1, k2] = HKDF(s.ck, new Uint8Array(0), 2);
  return [
    { k: k1!, n: 0n },
    { k: k2!, n: 0n },
  ];
}

/** One party of NNpsk2 with the §9.2 rules written out per message. */
export interface Party {
  initiator: boolean;
  s: Symmetric;
  psk: Uint8Array;
  e: { priv: Uint8Array; pub: Uint8Array };
  re: Uint8Array | null;
}

export function initialize(initiator: boolean, prologue: Uint8Array, psk: Uint8Array, ephemeralPrivate: Uint8Array, trace = true): Party {
  const s = initializeSymmetric(trace);
  mixHash(s, prologue, 'MixHash(prologue)');
  return { initiator, s, psk, e: { priv: ephemeralPrivate, pub: publicKeyOf(ephemeralPrivate) }, re: null };
}

/** -> e (initiator writes). */
export function writeMessage1(p: Party, payload: Uint8Array): Uint8Array {
  mixHash(p.s, p.e.pub, 'MixHash(e)');
  mixKey(p.s, p.e.pub, 'MixKey(e)');
  return cat(p.e.pub, encryptAndHash(p.s, payload));
}

/** -> e (responder reads). */
export function readMessage1(p: Party, message: Uint8Array): Uint8Array {
  if (message.length < 48) throw new Error('oracle: message 1 too short');
  p.re = message.slice(0, 32);
  mixHash(p.s, p.re, 'MixHash(re)');
  mixKey(p.s, p.re, 'MixKey(re)');
  return decryptAndHash(p.s, message.slice(32));
}

/** <- e, ee, psk (responder writes). */
export function writeMessage2(p: Party, payload: Uint8Array): Uint8Array {
  mixHash(p.s, p.e.pub, 'MixHash(e)');
  mixKey(p.s, p.e.pub, 'MixKey(e)');
  mixKey(p.s, DH(p.e.priv, p.re!), 'MixKey(ee)');
  mixKeyAndHash(p.s, p.psk, 'MixKeyAndHash(psk)');
  return cat(p.e.pub, encryptAndHash(p.s, payload));
}

/** <- e, ee, psk (initiator reads). */
export function readMessage2(p: Party, message: Uint8Array): Uint8Array {
  if (message.length < 48) throw new Error('oracle: message 2 too short');
  p.re = message.slice(0, 32);
  mixHash(p.s, p.re, 'MixHash(re)');
  mixKey(p.s, p.re, 'MixKey(re)');
  mixKey(p.s, DH(p.e.priv, p.re), 'MixKey(ee)');
  mixKeyAndHash(p.s, p.psk, 'MixKeyAndHash(psk)');
  return decryptAndHash(p.s, message.slice(32));
}

/** Split for a role: [send, receive]. */
export function transportFor(p: Party): [Cipher, Cipher] {
  const [c1, c2] = split(p.s);
  return p.initiator ? [c1, c2] : [c2, c1];
}
