/**
 * The crypto backend switch: WebAssembly (the default, bindings/core/wasm.ts) or a pure-JS backend
 * that the application selects explicitly with `useBackend(nobleBackend)` (`e2e2/noble`, built on
 * @noble/*). Never chosen silently: without that call a refused WASM compilation still throws
 * WasmUnavailableError (ERR_WASM_UNAVAILABLE).
 *
 * The primitive bindings (bindings/core/*.ts) validate every argument and throw the typed errors
 * themselves, then call the selected backend with inputs already checked (lengths, types, ranges).
 * A backend computes and reports only what the bindings cannot check beforehand, as `undefined`
 * results: an all-zero X25519 result (RFC 7748 §6.1), an AEAD tag mismatch (RFC 8439 §2.8), an
 * ML-KEM key failing the FIPS 203 §7.2 modulus or §7.3 hash check.
 */
import { InvalidArgumentError } from '../errors.js';

/** A streaming hash or MAC state held by a backend (SHA-256, HMAC-SHA256, Keccak sponges). */
export interface BackendHash {
  /** Absorb `data`. */
  update(data: Uint8Array): void;
  /** The final output (`outputLen` bytes); the state is unusable afterwards. */
  digest(): Uint8Array;
  /** An independent copy of the current state. */
  clone(): BackendHash;
  /** Wipe the state. */
  destroy(): void;
}

/** A streaming Keccak state: a BackendHash that can also squeeze (SHAKE, FIPS 202 §4). */
export interface BackendXof extends BackendHash {
  /** The next `bytes` bytes of output. */
  xof(bytes: number): Uint8Array;
  /** An independent copy of the current state. */
  clone(): BackendXof;
}

/** The Keccak functions of FIPS 202 §6 that e2e2 exposes. */
export type KeccakName = 'sha3_256' | 'sha3_512' | 'shake128' | 'shake256';

/**
 * What a pure-JS backend implements. Every argument has been validated by the binding layer
 * (Uint8Arrays of the right lengths, output lengths in range). Not meant to be written by
 * applications: use `nobleBackend` from `e2e2/noble`.
 */
export interface CryptoBackend {
  /** Name reported by `backendName()`. */
  readonly name: string;
  /** SHA-256 (FIPS 180-4). */
  sha256(message: Uint8Array): Uint8Array;
  /** A streaming SHA-256. */
  sha256Create(): BackendHash;
  /** HMAC-SHA256 (RFC 2104). */
  hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array;
  /** A streaming HMAC-SHA256 under `key`. */
  hmacSha256Create(key: Uint8Array): BackendHash;
  /** HKDF-SHA256 (RFC 5869 §2); `length` within [0, 255 * 32]. */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** HKDF-Expand (RFC 5869 §2.3); `prk` at least 32 bytes. */
  hkdfExpandSha256(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** X25519(secretKey, 9) (RFC 7748 §5). */
  x25519PublicKey(secretKey: Uint8Array): Uint8Array;
  /** X25519(secretKey, publicKey), or undefined when the result is all zero (RFC 7748 §6.1). */
  x25519SharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | undefined;
  /** ChaCha20-Poly1305 seal (RFC 8439 §2.8): ciphertext || tag. */
  aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** ChaCha20-Poly1305 open: the plaintext, or undefined when the tag does not verify (nothing decrypted). */
  aeadOpen(key: Uint8Array, nonce: Uint8Array, ciphertextWithTag: Uint8Array, aad: Uint8Array): Uint8Array | undefined;
  /** A FIPS 202 function of `message`, `outputLen` bytes. */
  keccak(name: KeccakName, message: Uint8Array, outputLen: number): Uint8Array;
  /** A streaming FIPS 202 function with `outputLen` bytes of digest. */
  keccakCreate(name: KeccakName, outputLen: number): BackendXof;
  /** ML-KEM-768 KeyGen_internal(d, z) (FIPS 203 Algorithm 16), `seed` = d || z. */
  mlkemKeygen(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
  /** ML-KEM-768 Encaps_internal(ek, m) (Algorithm 17), or undefined when ek fails the §7.2 modulus check. */
  mlkemEncapsulate(publicKey: Uint8Array, msg: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array } | undefined;
  /** ML-KEM-768 Decaps_internal(dk, c) (Algorithm 18), or undefined when dk fails the §7.3 hash check. */
  mlkemDecapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array | undefined;
}

let selected: CryptoBackend | undefined;

/** The selected pure-JS backend, or undefined when the WASM core is in use. */
export function jsBackend(): CryptoBackend | undefined {
  return selected;
}

const BACKEND_METHODS = [
  'sha256', 'sha256Create', 'hmacSha256', 'hmacSha256Create', 'hkdfSha256', 'hkdfExpandSha256', 'x25519PublicKey', 'x25519SharedSecret',
  'aeadSeal', 'aeadOpen', 'keccak', 'keccakCreate', 'mlkemKeygen', 'mlkemEncapsulate', 'mlkemDecapsulate',
] as const;

/**
 * Select the crypto backend for every primitive and everything built on them (Noise, E2-E2, the
 * channel): `'wasm'` (the default: the WebAssembly core) or `nobleBackend` from `e2e2/noble`
 * (pure JavaScript on @noble/*, for strict-CSP pages without 'wasm-unsafe-eval' and runtimes
 * without WebAssembly; byte-identical results, same typed errors, slower). Takes effect for the
 * next call; objects created before (streaming hashes) keep the backend they started with.
 * Throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for anything else.
 */
export function useBackend(backend: 'wasm' | CryptoBackend): void {
  if (backend === 'wasm') {
    selected = undefined;
    return;
  }
  if (typeof backend !== 'object' || backend === null || typeof backend.name !== 'string' || BACKEND_METHODS.some((m) => typeof backend[m] !== 'function')) {
    throw new InvalidArgumentError("useBackend() takes 'wasm' or the nobleBackend exported by 'e2e2/noble'");
  }
  selected = backend;
}

/** The backend in use: `'wasm'`, or the selected backend's name (`'noble'`). */
export function backendName(): string {
  return selected === undefined ? 'wasm' : selected.name;
}
