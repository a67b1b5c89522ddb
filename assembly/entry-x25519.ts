/** WASM entry point of the X25519 module (RFC 7748), built alone (build/e2e2-x25519.wasm). */
export { X25519_SCALAR, X25519_POINT, X25519_OUT, x25519SharedSecret, x25519PublicKey } from './x25519';
