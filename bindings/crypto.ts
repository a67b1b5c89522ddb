/**
 * `e2e2/crypto`: the WASM primitives with noble-compatible call shapes.
 * Switching from noble is a change of import; the results are byte-identical.
 */
export { ready, init, initSync, type WasmModuleSource, type WasmInitSource } from './core/wasm.js';
export { useBackend, backendName, type CryptoBackend, type BackendHash, type BackendXof, type KeccakName } from './core/backend.js';
export { sha256, Sha256, type Sha256Function } from './core/sha256.js';
export { hmac, Hmac, type HmacFunction } from './core/hmac.js';
export { hkdf, extract, expand } from './core/hkdf.js';
export {
  chacha20poly1305,
  chacha20poly1305Seal,
  chacha20poly1305Open,
  type ChaCha20Poly1305,
  type ChaCha20Poly1305Function,
} from './core/chacha20poly1305.js';
export { x25519, type X25519 } from './core/x25519.js';
export { sha3_256, sha3_512, shake128, shake256, Keccak, type Sha3Function, type ShakeFunction, type SpongeParams } from './core/sha3.js';
export { ml_kem768, type MlKem768 } from './core/mlkem.js';
export * from './errors.js';
