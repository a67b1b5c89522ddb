/**
 * WASM entry point of the SHA-2 module: SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104) and HKDF-SHA256
 * (RFC 5869), built alone (build/e2e2-sha2.wasm) so that a bundle importing only these carries only them.
 */
export { IO } from './memory';
export { SHA256_CTX, SHA256_OUT, sha256Digest, sha256Init, sha256Update, sha256Final } from './sha256';
export { HMAC_KEY, HMAC_CTX, HMAC_OUT, hmacSha256, hmacInit, hmacUpdate, hmacFinal } from './hmac';
export { HKDF_OUT, hkdfSha256, hkdfExpand } from './hkdf';
