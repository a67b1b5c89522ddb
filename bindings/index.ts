/**
 * `e2e2`: the E2-E2 secure channel and its WASM crypto core.
 */
export * from './crypto.js';
export * from './e2e2/index.js';
