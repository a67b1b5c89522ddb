/** A `.wasm` import, as workerd and wrangler provide it: the compiled module (see wasm-source-workerd.ts). */
declare module '*.wasm' {
  const wasmModule: WebAssembly.Module;
  export default wasmModule;
}
