/**
 * The Noise (rev 34) constants of the Noise layer, named once. bindings/noise owns them and
 * imports nothing from bindings/e2e2; bindings/e2e2/constants.ts re-exports them (SPEC.md §3).
 * Sizes in bytes.
 */
import { MLKEM768_CIPHERTEXT_BYTES, MLKEM768_PUBLIC_KEY_BYTES, MLKEM_SHARED_SECRET_BYTES } from '../../assembly/constants.js';

/** The Noise protocol name, Noise §8. Exactly 36 ASCII bytes, so h₀ = SHA-256(name), Noise §5.2. */
export const NOISE_PROTOCOL_NAME = 'Noise_NNpsk2_25519_ChaChaPoly_SHA256';

/** DHLEN for 25519: public keys, private keys and DH outputs, Noise §12.1, RFC 7748 §5. */
export const DH_BYTES = 32;

/** HASHLEN for SHA256, Noise §12.5. */
export const HASH_BYTES = 32;

/** ChaChaPoly key size (Noise §4.2: 32-byte cipher keys). */
export const CIPHER_KEY_BYTES = 32;

/** AEAD authentication tag appended to every ciphertext, Noise §4.2, RFC 8439 §2.8. */
export const TAG_BYTES = 16;

/** Pre-shared symmetric keys are exactly 32 bytes, Noise §9.1. */
export const PSK_BYTES = 32;

/** Every Noise message (handshake or transport) is at most 65,535 bytes, Noise §3. */
export const MAX_MESSAGE_BYTES = 65535;

/**
 * Largest nonce value, 2^64 - 1: reserved for REKEY (Noise §4.2) and never used to encrypt a
 * message; a CipherState whose counter reaches it refuses to encrypt or decrypt (Noise §5.1).
 * Kept as two 32-bit halves, which is how the counter is stored.
 */
export const NONCE_MAX_HIGH = 0xffffffff;
/** Low 32 bits of the reserved nonce 2^64 - 1 (see NONCE_MAX_HIGH). */
export const NONCE_MAX_LOW = 0xffffffff;

/** KEMPUBLICKEYLEN for ML-KEM-768 (Noise HFS §3; FIPS 203 §8, Table 3: the encapsulation key). */
export const KEM_PUBLIC_KEY_BYTES = MLKEM768_PUBLIC_KEY_BYTES;
/** KEMCIPHERTEXTLEN for ML-KEM-768 (Noise HFS §3; FIPS 203 §8, Table 3). */
export const KEM_CIPHERTEXT_BYTES = MLKEM768_CIPHERTEXT_BYTES;
/** KEMOUTPUTLEN for ML-KEM-768: the shared secret K (Noise HFS §3; FIPS 203 §7.2). */
export const KEM_OUTPUT_BYTES = MLKEM_SHARED_SECRET_BYTES;
/** The DH section of a protocol name whose pattern has the HFS tokens: DH name '+' KEM name (Noise HFS §5). */
export const HFS_DH_NAME = '25519+MLKEM768';
