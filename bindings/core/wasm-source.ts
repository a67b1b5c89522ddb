/**
 * Where the default builds get the WASM modules: the bytes of each part, embedded in the bundle as hex
 * (bindings/core/wasm-<part>.generated.ts, written by scripts/build-wasm.mjs; hex because gzip compresses
 * it to within 10% of the bytes, base64 to 36% more), decoded on first use.
 * One function per part, each reading only its own constant, so a bundler drops the bytes of every part
 * no imported primitive uses. The workerd build (rollup.config.mjs) swaps this file for
 * wasm-source-workerd.ts, where every part's source is the combined module dist/e2e2.wasm.
 */
import { WASM_AEAD_HEX } from './wasm-aead.generated.js';
import { WASM_MLKEM_HEX } from './wasm-mlkem.generated.js';
import { WASM_SHA2_HEX } from './wasm-sha2.generated.js';
import { WASM_X25519_HEX } from './wasm-x25519.generated.js';

/** Lower-case hex digit -> value: '0'-'9' (0x30-0x39) give c & 15; 'a'-'f' (0x61-0x66) give (c & 15) + 9. */
function nibble(c: number): number {
  return (c & 15) + (c >> 6) * 9;
}

function decodeHex(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(text.length >> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (nibble(text.charCodeAt(2 * i)) << 4) | nibble(text.charCodeAt(2 * i + 1));
  return bytes;
}

/** SHA-256, HMAC-SHA256, HKDF-SHA256 (assembly/entry-sha2.ts). */
export function sha2Wasm(): Uint8Array<ArrayBuffer> | WebAssembly.Module {
  return decodeHex(WASM_SHA2_HEX);
}

/** ChaCha20-Poly1305 (assembly/entry-aead.ts). */
export function aeadWasm(): Uint8Array<ArrayBuffer> | WebAssembly.Module {
  return decodeHex(WASM_AEAD_HEX);
}

/** X25519 (assembly/entry-x25519.ts). */
export function x25519Wasm(): Uint8Array<ArrayBuffer> | WebAssembly.Module {
  return decodeHex(WASM_X25519_HEX);
}

/** Keccak (SHA-3, SHAKE) and ML-KEM-768 (assembly/entry-mlkem.ts). */
export function mlkemWasm(): Uint8Array<ArrayBuffer> | WebAssembly.Module {
  return decodeHex(WASM_MLKEM_HEX);
}
