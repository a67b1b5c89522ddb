/**
 * WASM entry point of the combined module (build/e2e2.wasm, shipped as `e2e2/wasm` and used by the workerd
 * build): every export of the e2e2 core. Buffers are exported as immutable globals (their addresses),
 * operations as functions that read and write those buffers. The default builds embed the four modules of
 * entry-*.ts instead, one per primitive family, so a bundle carries only the WASM it imports.
 */
export * from './entry-sha2';
export * from './entry-aead';
export * from './entry-x25519';
export * from './entry-mlkem';
