/**
 * The workerd build's WASM source (replaces wasm-source.ts there, see rollup.config.mjs):
 * dist/e2e2.wasm imported as a module, which workerd and wrangler compile when they load the
 * worker, because code inside a Worker may not compile WASM ("Wasm code generation disallowed
 * by embedder"). No bytes are embedded; instantiating a precompiled module is allowed.
 */
import wasmModule from './e2e2.wasm';

export function bundledWasm(): Uint8Array<ArrayBuffer> | WebAssembly.Module {
  return wasmModule;
}
