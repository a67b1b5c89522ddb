/**
 * Sizes shared by the AssemblyScript core (assembly/) and the TypeScript bindings (bindings/).
 * Both compilers read this one file, so it must stay free of AssemblyScript-only types:
 * plain integer literals only (AssemblyScript infers i32, TypeScript infers number).
 * Units are bytes unless a name says otherwise.
 */

/** WASM scratch buffer that inputs of any size are streamed through, one chunk per call. */
export const IO_BUFFER_BYTES = 65536;

/** SHA-256 block and digest sizes, FIPS 180-4 §1 and §5.3.3. */
export const SHA256_BLOCK_BYTES = 64;
export const SHA256_DIGEST_BYTES = 32;

/** Saved incremental SHA-256 context: 8 state words, 64-byte block buffer, buffered count (u32), total length (u64). */
export const SHA256_CONTEXT_BYTES = 112;

/** HKDF-Expand output limit L <= 255 * HashLen, RFC 5869 §2.3. */
export const HKDF_MAX_OUTPUT_BYTES = 8160;

/** ChaCha20 key, nonce and block sizes, RFC 8439 §2.3. */
export const CHACHA20_KEY_BYTES = 32;
export const CHACHA20_NONCE_BYTES = 12;
export const CHACHA20_BLOCK_BYTES = 64;

/** Poly1305 one-time key and tag sizes, RFC 8439 §2.5. */
export const POLY1305_KEY_BYTES = 32;
export const POLY1305_TAG_BYTES = 16;

/** X25519 scalar, u-coordinate and shared-secret size, RFC 7748 §5. */
export const X25519_KEY_BYTES = 32;

/** Keccak-f[1600] state (FIPS 202 §3.1: b = 1600 bits) and the SHA-3 / SHAKE rates r = 1600 - 2 * capacity (§6). */
export const KECCAK_STATE_BYTES = 200;
export const SHA3_256_RATE_BYTES = 136;
export const SHA3_512_RATE_BYTES = 72;
export const SHAKE128_RATE_BYTES = 168;
export const SHAKE256_RATE_BYTES = 136;
/** Domain-separation bits plus the first padding bit, as one byte (FIPS 202 §6.1: M || 01, §6.2: M || 1111). */
export const SHA3_SUFFIX = 0x06;
export const SHAKE_SUFFIX = 0x1f;
/** Saved sponge context: 200-byte state, then u32 position, rate, suffix and squeezing flag. */
export const KECCAK_CONTEXT_BYTES = 216;

/** ML-KEM-768 sizes, FIPS 203 §8 Table 3 (k = 3, du = 10, dv = 4). */
export const MLKEM768_PUBLIC_KEY_BYTES = 1184;
export const MLKEM768_SECRET_KEY_BYTES = 2400;
export const MLKEM768_CIPHERTEXT_BYTES = 1088;
/** KeyGen seed d || z (FIPS 203 Algorithm 16), encapsulation randomness m (Algorithm 17), shared secret K. */
export const MLKEM_SEED_BYTES = 64;
export const MLKEM_MSG_BYTES = 32;
export const MLKEM_SHARED_SECRET_BYTES = 32;
