/**
 * WASM entry point: every export of the e2e2 core. Buffers are exported as immutable
 * globals (their addresses), operations as functions that read and write those buffers.
 */
export { IO } from './memory';
export { SHA256_CTX, SHA256_OUT, sha256Digest, sha256Init, sha256Update, sha256Final } from './sha256';
export { HMAC_KEY, HMAC_CTX, HMAC_OUT, hmacSha256, hmacInit, hmacUpdate, hmacFinal } from './hmac';
export { HKDF_OUT, hkdfSha256, hkdfExpand } from './hkdf';
export {
  AEAD_KEY, AEAD_NONCE, AEAD_TAG, aeadSeal, aeadOpen,
  aeadStreamBegin, aeadStreamAad, aeadStreamSeal, aeadStreamSealFinal, aeadStreamMac, aeadStreamVerify, aeadStreamDecrypt, aeadStreamEnd,
  chacha20Xor, poly1305Mac,
} from './aead';
export { X25519_SCALAR, X25519_POINT, X25519_OUT, x25519SharedSecret, x25519SharedSecretInt, x25519PublicKey } from './x25519';
export { KECCAK_CTX, keccakDigest, keccakInit, keccakUpdate, keccakSqueeze } from './keccak';
export { MLKEM_SEED, MLKEM_MSG, MLKEM_EK, MLKEM_DK, MLKEM_CT, MLKEM_SS, MLKEM_SCRATCH, MLKEM_SCRATCH_END, mlkemKeygen, mlkemEncaps, mlkemDecaps } from './mlkem';
