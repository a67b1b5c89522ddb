/**
 * X25519 (RFC 7748 §5, §6.1) on the WASM core, with noble's call shape:
 * `x25519.getPublicKey(secretKey)`, `x25519.getSharedSecret(secretKey, publicKey)`,
 * `x25519.utils.randomSecretKey()`, `x25519.keygen(seed?)`. Results are byte-identical to noble's.
 *
 * Secret keys are any 32 bytes (clamped inside, RFC 7748 §5); public keys are any 32 bytes (top bit
 * masked, values >= p reduced, §5). A shared secret of all zeros, which every small-order public key
 * produces (§6.1), is refused with LowOrderPointError: a Diffie-Hellman with such a peer is worthless.
 */
import { X25519_KEY_BYTES } from '../../assembly/constants.js';
import { InvalidKeyLengthError, LowOrderPointError } from '../errors.js';
import { jsBackend } from './backend.js';
import { assertLength } from './bytes.js';
import { core, takeBytes } from './wasm.js';

/** Copy the secret key into the WASM scalar buffer (the core wipes it during the call). */
function loadSecretKey(secretKey: Uint8Array): void {
  const { heap, addr } = core();
  heap.set(secretKey, addr.X25519_SCALAR!);
}

/** X25519(secretKey, 9): the public key for `secretKey` (32 bytes). */
function getPublicKey(secretKey: Uint8Array): Uint8Array {
  assertLength(secretKey, X25519_KEY_BYTES, 'secretKey', InvalidKeyLengthError);
  const js = jsBackend();
  if (js) return js.x25519PublicKey(secretKey);
  const { fn, addr } = core();
  loadSecretKey(secretKey);
  fn.x25519PublicKey!();
  return takeBytes(addr.X25519_OUT!, X25519_KEY_BYTES);
}

/** One WASM ladder call (`x25519SharedSecret` or the integer alternative); undefined when the result is all zero. */
function wasmSharedSecret(ladder: 'x25519SharedSecret' | 'x25519SharedSecretInt', secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | undefined {
  const { heap, fn, addr } = core();
  loadSecretKey(secretKey);
  const point = addr.X25519_POINT!;
  heap.set(publicKey, point);
  const allZero = fn[ladder]!();
  heap.fill(0, point, point + X25519_KEY_BYTES);
  const shared = takeBytes(addr.X25519_OUT!, X25519_KEY_BYTES);
  return allZero !== 0 ? undefined : shared;
}

/**
 * X25519(secretKey, publicKey): the 32-byte shared secret. Throws LowOrderPointError (ERR_LOW_ORDER_POINT)
 * when it is all zero; the core detects that without a data-dependent branch (OR over the output).
 */
function getSharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  assertLength(secretKey, X25519_KEY_BYTES, 'secretKey', InvalidKeyLengthError);
  assertLength(publicKey, X25519_KEY_BYTES, 'publicKey', InvalidKeyLengthError);
  const js = jsBackend();
  const shared = js ? js.x25519SharedSecret(secretKey, publicKey) : wasmSharedSecret('x25519SharedSecret', secretKey, publicKey);
  if (shared === undefined) {
    throw new LowOrderPointError('x25519 public key is of small order: the shared secret is all zero (RFC 7748 §6.1)');
  }
  return shared;
}

/**
 * X25519(secretKey, publicKey) on the integer-limb ladder (x25519SharedSecretInt in assembly/x25519.ts), the
 * alternative to the f64 SIMD ladder that tests check and bench/x25519.ts times side by side (issue 11 item 4).
 * Not part of the API: undefined for an all-zero result, no JS backend.
 */
export function sharedSecretIntegerLadderForTestingOnly(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | undefined {
  assertLength(secretKey, X25519_KEY_BYTES, 'secretKey', InvalidKeyLengthError);
  assertLength(publicKey, X25519_KEY_BYTES, 'publicKey', InvalidKeyLengthError);
  return wasmSharedSecret('x25519SharedSecretInt', secretKey, publicKey);
}

/** 32 random bytes from crypto.getRandomValues, or a copy of `seed` (32 bytes) when given. */
function randomSecretKey(seed?: Uint8Array): Uint8Array {
  if (seed === undefined) return crypto.getRandomValues(new Uint8Array(X25519_KEY_BYTES));
  assertLength(seed, X25519_KEY_BYTES, 'seed', InvalidKeyLengthError);
  return seed.slice();
}

/** A key pair: `secretKey` random (or a copy of `seed`), `publicKey` = getPublicKey(secretKey). */
function keygen(seed?: Uint8Array): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const secretKey = randomSecretKey(seed);
  return { secretKey, publicKey: getPublicKey(secretKey) };
}

/** X25519 (RFC 7748 §5, §6.1), noble-shaped; results byte-identical to @noble/curves. */
export interface X25519 {
  /** The 32-byte public key X25519(secretKey, 9). */
  getPublicKey(secretKey: Uint8Array): Uint8Array;
  /** X25519(secretKey, publicKey); throws ERR_LOW_ORDER_POINT when the result is all zero (RFC 7748 §6.1). */
  getSharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** A key pair: the secret key random (or a copy of `seed`). */
  keygen(seed?: Uint8Array): { secretKey: Uint8Array; publicKey: Uint8Array };
  /** `randomSecretKey(seed?)`: 32 random bytes (or a copy of a 32-byte seed). */
  readonly utils: {
    /** 32 random bytes from the CSPRNG, or a copy of a 32-byte `seed`. */
    randomSecretKey(seed?: Uint8Array): Uint8Array;
  };
  readonly lengths: { readonly secretKey: 32; readonly publicKey: 32; readonly seed: 32 };
}

/** X25519 Diffie-Hellman, RFC 7748. */
export const x25519: X25519 = Object.freeze({
  getPublicKey,
  getSharedSecret,
  keygen,
  utils: Object.freeze({ randomSecretKey }),
  lengths: Object.freeze({ secretKey: 32, publicKey: 32, seed: 32 } as const),
});
