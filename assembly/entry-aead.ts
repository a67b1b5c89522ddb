/** WASM entry point of the ChaCha20-Poly1305 module (RFC 8439), built alone (build/e2e2-aead.wasm). */
export { IO } from './memory';
export {
  AEAD_KEY, AEAD_NONCE, AEAD_TAG, aeadSeal, aeadOpen,
  aeadStreamBegin, aeadStreamAad, aeadStreamSeal, aeadStreamSealFinal, aeadStreamMac, aeadStreamVerify, aeadStreamDecrypt, aeadStreamEnd,
  chacha20Xor, poly1305Mac,
} from './aead';
