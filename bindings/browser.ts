/**
 * The browser bundle (dist/browser/e2e2.js, one ESM file with the WASM embedded): the package
 * root (primitives, the E2-E2 layer) plus the channel client over the global WebSocket.
 */
export * from './index.js';
export * from './channel-browser.js';
