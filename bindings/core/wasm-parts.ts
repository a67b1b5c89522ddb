/**
 * The embedded WASM modules, one per primitive family (scripts/build-wasm.mjs, assembly/entry-*.ts).
 * Each binding asks `core(PART)` for the instance of its own part. The pure annotations let a bundler
 * drop a part, with its bytes, when nothing that uses it is imported.
 */
import { definePart } from './wasm.js';
import { aeadWasm, mlkemWasm, sha2Wasm, x25519Wasm } from './wasm-source.js';

/** SHA-256, HMAC-SHA256, HKDF-SHA256. */
export const SHA2_PART = /* @__PURE__ */ definePart('sha2', sha2Wasm);
/** ChaCha20-Poly1305. */
export const AEAD_PART = /* @__PURE__ */ definePart('aead', aeadWasm);
/** X25519. */
export const X25519_PART = /* @__PURE__ */ definePart('x25519', x25519Wasm);
/** Keccak (SHA-3, SHAKE) and ML-KEM-768. */
export const MLKEM_PART = /* @__PURE__ */ definePart('mlkem', mlkemWasm);
