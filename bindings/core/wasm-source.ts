/**
 * Where the default builds get the WASM module: its bytes, embedded in the bundle as base64
 * (bindings/core/wasm-bytes.generated.ts, written by scripts/build-wasm.mjs), compiled on first use.
 * The workerd build (rollup.config.mjs) swaps this file for wasm-source-workerd.ts, which
 * imports dist/e2e2.wasm as a precompiled module instead and embeds no bytes.
 */
import { WASM_BASE64 } from './wasm-bytes.generated.js';

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The module this build ships: bytes to compile (here) or an already compiled module (workerd). */
export function bundledWasm(): Uint8Array<ArrayBuffer> | WebAssembly.Module {
  return decodeBase64(WASM_BASE64);
}
