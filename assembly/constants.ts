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
