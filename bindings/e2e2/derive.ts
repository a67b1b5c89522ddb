/**
 * The named E2-E2 derivations (SPEC.md §6). Pure functions: inputs in, fresh outputs out, no
 * state, no randomness, no clock. The client and server handshakes are built from exactly these.
 *
 *   K1  = X25519(e, re)                                  the Noise `ee` DH output (RFC 7748 §5, §6.1)
 *   K2  = KDF(K1, API key): ck' of the Noise `ee` MixKey then `psk` MixKeyAndHash (Noise §5.2, §9.2)
 *   K3  = Split() transport keys of K2 (Noise §5.2) + exporter = HKDF-Expand(K2, label || h)
 *   eapiRoot = HKDF-Expand(exporter, label)            (RFC 5869 §2.3)
 *   EAPI = HKDF-Expand(eapiRoot, label || index || expiresAt || scope)
 *
 * Every HKDF-Expand info starts with a versioned ASCII label and a 0x00 byte (domain separation).
 */
import { expand } from '../core/hkdf.js';
import { assertBytes } from '../core/bytes.js';
import { sha256 } from '../core/sha256.js';
import { x25519 } from '../core/x25519.js';
import { InvalidArgumentError, InvalidKeyLengthError } from '../errors.js';
import { noiseHkdf, noiseHkdfFirst } from '../noise/symmetric-state.js';
import {
  DH_BYTES,
  E2E2_VERSION,
  E2E2_VERSION_HYBRID,
  EAPI_MAX_INDEX,
  EAPI_MAX_SCOPE_BYTES,
  EAPI_MAX_TIME_MS,
  EAPI_ROOT_BYTES,
  EAPI_SECRET_BYTES,
  EXPORTER_BYTES,
  FINGERPRINT_BYTES,
  HASH_BYTES,
  LABEL_EAPI,
  LABEL_EAPI_ROOT,
  LABEL_EXPORTER,
  LABEL_FINGERPRINT,
  LABEL_SESSION_ID,
  MAX_CONTEXT_BYTES,
  PSK_BYTES,
  SESSION_ID_BYTES,
} from './constants.js';
import { concatBytes, toHex, u32be, u64be, u8, utf8 } from './encoding.js';

const EMPTY = new Uint8Array(0);
const ZERO = Uint8Array.of(0);

/** ASCII(label) || 0x00: the prefix of every labelled derivation input. */
export function label(text: string): Uint8Array {
  return concatBytes(utf8(text), ZERO);
}

function assertKey(value: unknown, length: number, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) throw new InvalidKeyLengthError(`${name} must be ${length} bytes`);
}

/**
 * The Noise prologue (Noise §6): ASCII("e2e2/v1") || 0x00 || context. Both sides must use the
 * same context (an application name, a server origin...), or the handshake fails at message 1.
 */
export function buildPrologue(context: string | Uint8Array = EMPTY, version: typeof E2E2_VERSION | typeof E2E2_VERSION_HYBRID = E2E2_VERSION): Uint8Array {
  const bytes = typeof context === 'string' ? utf8(context) : context;
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('context must be a string or a Uint8Array');
  if (bytes.length > MAX_CONTEXT_BYTES) throw new InvalidArgumentError(`context must be at most ${MAX_CONTEXT_BYTES} bytes`);
  return concatBytes(label(version), bytes);
}

/**
 * K1: the X25519 shared secret of our ephemeral private key and the peer's ephemeral public key
 * (RFC 7748 §5; the Noise `ee` token). Throws ERR_LOW_ORDER_POINT when the result is all zero
 * (a low-order peer key, RFC 7748 §6.1).
 */
export function deriveK1(ephemeralSecretKey: Uint8Array, peerEphemeralPublicKey: Uint8Array): Uint8Array {
  assertKey(ephemeralSecretKey, DH_BYTES, 'ephemeralSecretKey');
  assertKey(peerEphemeralPublicKey, DH_BYTES, 'peerEphemeralPublicKey');
  return x25519.getSharedSecret(ephemeralSecretKey, peerEphemeralPublicKey);
}

/** The result of deriveK2: K2 and the two values the handshake state takes from the same HKDF. */
export interface K2Derivation {
  /** K2: the chaining key after MixKeyAndHash(API key secret). */
  k2: Uint8Array;
  /** temp_h: mixed into the handshake hash h (MixHash). */
  hashInput: Uint8Array;
  /** temp_k: the key that encrypts message 2's payload. */
  cipherKey: Uint8Array;
}

/**
 * K2 = KDF(K1, API key). `chainingKey` is ck after both `e` tokens (computed from public values
 * only). Two Noise HKDF steps (Noise §4.3):
 *
 *   ck_ee            = HKDF(chainingKey, K1, 2)[0]       `ee`:  MixKey(K1)
 *   K2, temp_h, temp_k = HKDF(ck_ee, apiKeySecret, 3)     `psk`: MixKeyAndHash(psk)
 *
 * MixKey(K1)'s second output (a cipher key) is overwritten by `psk` before any use, so only the
 * first output is computed; the result is byte-identical to running the two Noise steps.
 */
export function deriveK2(chainingKey: Uint8Array, k1: Uint8Array, apiKeySecret: Uint8Array): K2Derivation {
  assertKey(chainingKey, HASH_BYTES, 'chainingKey');
  assertKey(k1, DH_BYTES, 'k1');
  assertKey(apiKeySecret, PSK_BYTES, 'apiKeySecret');
  const ckEe = noiseHkdfFirst(chainingKey, k1);
  const [k2, hashInput, cipherKey] = noiseHkdf(ckEe, apiKeySecret, 3) as [Uint8Array, Uint8Array, Uint8Array];
  ckEe.fill(0);
  return { k2, hashInput, cipherKey };
}

/** K3: everything a session keeps. */
export interface K3 {
  /** Transport key client → server (Noise Split() c1). */
  initiatorToResponder: Uint8Array;
  /** Transport key server → client (Noise Split() c2). */
  responderToInitiator: Uint8Array;
  /** Exporter secret: the root of EAPIs and of the session id. */
  exporter: Uint8Array;
  /** Public session identifier both sides derive; never sent during the handshake. */
  sessionId: Uint8Array;
}

/**
 * K3 from K2 and the final handshake hash h, with no further messages:
 *
 *   initiatorToResponder, responderToInitiator = HKDF(K2, zerolen, 2)      Noise Split() (§5.2)
 *   exporter  = HKDF-Expand(K2, "e2e2/v1/exporter" || 0x00 || h, 32)      (RFC 5869 §2.3)
 *   sessionId = HKDF-Expand(exporter, "e2e2/v1/session-id" || 0x00, 16)
 *
 * Split's HMAC(K2, zerolen) and the exporter's HMAC(K2, label || ...) are different PRF inputs
 * under the same key, so the transport keys and the exporter are independent.
 */
export function deriveK3(k2: Uint8Array, handshakeHash: Uint8Array): K3 {
  assertKey(k2, HASH_BYTES, 'k2');
  assertKey(handshakeHash, HASH_BYTES, 'handshakeHash');
  const [initiatorToResponder, responderToInitiator] = noiseHkdf(k2, EMPTY, 2) as [Uint8Array, Uint8Array];
  const exporter = expand(sha256, k2, concatBytes(label(LABEL_EXPORTER), handshakeHash), EXPORTER_BYTES);
  const sessionId = expand(sha256, exporter, label(LABEL_SESSION_ID), SESSION_ID_BYTES);
  return { initiatorToResponder, responderToInitiator, exporter, sessionId };
}

/** What an EAPI is bound to. */
export interface EapiParams {
  /** Index chosen by the client (0 ≤ index ≤ 2^32 - 1), so several EAPIs with equal scope and expiry differ. */
  index: number;
  /** Space-separated scope tokens (RFC 6749 §3.3 syntax), 1 to 255 bytes. */
  scope: string;
  /** Expiry, milliseconds since the Unix epoch (integer). */
  expiresAt: number;
}

/** `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`, RFC 6749 §3.3. */
export const SCOPE_TOKEN_PATTERN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const SCOPE_PATTERN = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/;

/** Throw ERR_INVALID_ARGUMENT unless the EAPI parameters are well formed; returns the scope bytes. */
export function assertEapiParams(params: EapiParams): Uint8Array {
  if (typeof params !== 'object' || params === null) throw new InvalidArgumentError('EAPI parameters must be an object');
  const { index, scope, expiresAt } = params;
  if (!Number.isInteger(index) || index < 0 || index > EAPI_MAX_INDEX) throw new InvalidArgumentError('EAPI index must be an integer in [0, 2^32 - 1]');
  if (!Number.isInteger(expiresAt) || expiresAt < 0 || expiresAt > EAPI_MAX_TIME_MS) {
    throw new InvalidArgumentError('EAPI expiresAt must be an integer number of milliseconds since the Unix epoch');
  }
  if (typeof scope !== 'string' || scope.length > EAPI_MAX_SCOPE_BYTES || !SCOPE_PATTERN.test(scope)) {
    throw new InvalidArgumentError(`EAPI scope must be 1 to ${EAPI_MAX_SCOPE_BYTES} bytes of space-separated RFC 6749 §3.3 scope tokens`);
  }
  return utf8(scope);
}

/** The EAPI parameter encoding: u32be(index) || u64be(expiresAt) || u8(len(scope)) || scope. */
export function encodeEapiParams(params: EapiParams): Uint8Array {
  const scope = assertEapiParams(params);
  return concatBytes(u32be(params.index), u64be(params.expiresAt), u8(scope.length), scope);
}

/**
 * A session's EAPI root: HKDF-Expand(exporter, "e2e2/v1/eapi-root" || 0x00, 32). It derives EAPI
 * secrets and nothing else, so a verifier (or a shared store such as Redis) holding it can check
 * the session's EAPIs but can neither decrypt nor forge its records, nor recover the exporter.
 */
export function deriveEapiRoot(exporter: Uint8Array): Uint8Array {
  assertKey(exporter, EXPORTER_BYTES, 'exporter');
  return expand(sha256, exporter, label(LABEL_EAPI_ROOT), EAPI_ROOT_BYTES);
}

/**
 * An EAPI secret: HKDF-Expand(eapiRoot, "e2e2/v1/eapi" || 0x00 || encodeEapiParams(params), 32).
 * Used only as an HMAC-SHA256 key to sign requests; never sent.
 */
export function deriveEapi(eapiRoot: Uint8Array, params: EapiParams): Uint8Array {
  assertKey(eapiRoot, EAPI_ROOT_BYTES, 'eapiRoot');
  return expand(sha256, eapiRoot, concatBytes(label(LABEL_EAPI), encodeEapiParams(params)), EAPI_SECRET_BYTES);
}

/**
 * A short public fingerprint of a key, for logs and demos: hex of the first 8 bytes of
 * SHA-256("e2e2/v1/fingerprint" || 0x00 || key). One-way; equal on both sides when keys agree.
 */
export function fingerprint(key: Uint8Array): string {
  assertBytes(key, 'key');
  const digest = sha256(concatBytes(label(LABEL_FINGERPRINT), key));
  const out = toHex(digest.subarray(0, FINGERPRINT_BYTES));
  digest.fill(0);
  return out;
}

/** Fingerprint of the whole K3 (both transport keys and the exporter). */
export function fingerprintK3(k3: K3): string {
  const all = concatBytes(k3.initiatorToResponder, k3.responderToInitiator, k3.exporter);
  const out = fingerprint(all);
  all.fill(0);
  return out;
}
