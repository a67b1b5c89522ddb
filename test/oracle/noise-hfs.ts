/**
 * Independent NNhfs+psk2 (Noise HFS on NN, then psk2; ../shared/specs/noise_hfs.md §4-5) on
 * noble, with every token written out per message, for differential tests of the pattern-driven
 * HandshakeState:
 *
 *     -> e, e1                  MixHash(e) MixKey(e) | EncryptAndHash(ek) | EncryptAndHash(payload)
 *     <- e, ee, ekem1, psk      MixHash(e) MixKey(e) | MixKey(DH) | EncryptAndHash(ct) MixKey(K) | MixKeyAndHash(psk) | EncryptAndHash(payload)
 *
 * ML-KEM-768 is @noble/post-quantum's.
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { DH, cat, decryptAndHash, encryptAndHash, initializeSymmetric, mixHash, mixKey, mixKeyAndHash, publicKeyOf, split, type Cipher, type Symmetric } from './noise.js';

export const HFS_PROTOCOL_NAME = 'Noise_NNhfs+psk2_25519+MLKEM768_ChaChaPoly_SHA256';

export interface HfsParty {
  initiator: boolean;
  s: Symmetric;
  psk: Uint8Array;
  e: { priv: Uint8Array; pub: Uint8Array };
  re: Uint8Array | null;
  /** Initiator: its KEM key pair (from the 64-byte seed). */
  kem?: { publicKey: Uint8Array; secretKey: Uint8Array };
  /** Responder: the initiator's KEM public key. */
  rkem?: Uint8Array;
  /** The KEM output both sides mix. */
  kemOutput?: Uint8Array;
}

export function initializeHfs(initiator: boolean, prologue: Uint8Array, psk: Uint8Array, ephemeralPrivate: Uint8Array, kemSeed?: Uint8Array): HfsParty {
  const s = initializeSymmetric(true, HFS_PROTOCOL_NAME);
  mixHash(s, prologue, 'MixHash(prologue)');
  const party: HfsParty = { initiator, s, psk, e: { priv: ephemeralPrivate, pub: publicKeyOf(ephemeralPrivate) }, re: null };
  if (initiator) party.kem = ml_kem768.keygen(kemSeed);
  return party;
}

/** -> e, e1 (initiator writes). */
export function writeHfsMessage1(p: HfsParty, payload: Uint8Array): Uint8Array {
  mixHash(p.s, p.e.pub, 'MixHash(e)');
  mixKey(p.s, p.e.pub, 'MixKey(e)');
  const e1 = encryptAndHash(p.s, p.kem!.publicKey);
  return cat(p.e.pub, e1, encryptAndHash(p.s, payload));
}

/** -> e, e1 (responder reads). */
export function readHfsMessage1(p: HfsParty, message: Uint8Array): Uint8Array {
  p.re = message.slice(0, 32);
  mixHash(p.s, p.re, 'MixHash(re)');
  mixKey(p.s, p.re, 'MixKey(re)');
  p.rkem = decryptAndHash(p.s, message.slice(32, 32 + 1184 + 16));
  return decryptAndHash(p.s, message.slice(32 + 1184 + 16));
}

/**
 * <- e, ee, ekem1, psk (responder writes). `tamperCipherText` flips a bit of the KEM ciphertext
 * before it is encrypted: a responder that sends a ciphertext the initiator's decapsulation
 * implicitly rejects (FIPS 203 §7.3).
 */
export function writeHfsMessage2(p: HfsParty, payload: Uint8Array, kemMessage?: Uint8Array, tamperCipherText = false): Uint8Array {
  mixHash(p.s, p.e.pub, 'MixHash(e)');
  mixKey(p.s, p.e.pub, 'MixKey(e)');
  mixKey(p.s, DH(p.e.priv, p.re!), 'MixKey(ee)');
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(p.rkem!, kemMessage);
  if (tamperCipherText) cipherText[7]! ^= 0x10;
  const ekem1 = encryptAndHash(p.s, cipherText);
  p.kemOutput = sharedSecret;
  mixKey(p.s, sharedSecret, 'MixKey(ekem1)');
  mixKeyAndHash(p.s, p.psk, 'MixKeyAndHash(psk)');
  return cat(p.e.pub, ekem1, encryptAndHash(p.s, payload));
}

/** <- e, ee, ekem1, psk (initiator reads). */
export function readHfsMessage2(p: HfsParty, message: Uint8Array): Uint8Array {
  p.re = message.slice(0, 32);
  mixHash(p.s, p.re, 'MixHash(re)');
  mixKey(p.s, p.re, 'MixKey(re)');
  mixKey(p.s, DH(p.e.priv, p.re), 'MixKey(ee)');
  const cipherText = decryptAndHash(p.s, message.slice(32, 32 + 1088 + 16));
  p.kemOutput = ml_kem768.decapsulate(cipherText, p.kem!.secretKey);
  mixKey(p.s, p.kemOutput, 'MixKey(ekem1)');
  mixKeyAndHash(p.s, p.psk, 'MixKeyAndHash(psk)');
  return decryptAndHash(p.s, message.slice(32 + 1088 + 16));
}

/** Split for a role: [send, receive]. */
export function hfsTransportFor(p: HfsParty): [Cipher, Cipher] {
  const [c1, c2] = split(p.s);
  return p.initiator ? [c1, c2] : [c2, c1];
}
