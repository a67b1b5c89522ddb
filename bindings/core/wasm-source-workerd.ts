/**
 * The workerd build's WASM source (replaces wasm-source.ts there, see rollup.config.mjs):
 * dist/e2e2.wasm imported as a module, which workerd and wrangler compile when they load the
 * worker, because code inside a Worker may not compile WASM ("Wasm code generation disallowed
 * by embedder"). No bytes are embedded; instantiating a precompiled module is allowed. It is the
 * combined module, so the first part to need it instantiates it for every part (wasm.ts).
 */
import wasmModule from './e2e2.wasm';

export function sha2Wasm(): Uint8Array<ArrayBuffer> | WebAssembly.Module {
  return wasmModule;
}

export function aeadWasm(): Uint8Array<ArrayBuffer> | WebAssembly.Module {
  return wasmModule;
}

export function x25519Wasm(): Uint8Array<ArrayBuffer> | WebAssembly.Module {
  return wasmModule;
}

export function mlkemWasm(): Uint8Array<ArrayBuffer> | WebAssembly.Module {
  return wasmModule;
}
