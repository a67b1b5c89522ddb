/**
 * Every constant of E2-E2 v1 and of its Noise layer, named once (SPEC.md §3 lists them).
 * Units: sizes in bytes, times in milliseconds, counts in records, unless a name says otherwise.
 * Labels are ASCII; each is used with a trailing 0x00 separator (see `label()` in derive.ts), so
 * no label is a prefix of another input.
 */

// ---------------------------------------------------------------- Noise (rev 34)

// Owned by the Noise layer (bindings/noise/constants.ts); re-exported here so every constant is reachable from one module.
import { DH_BYTES, KEM_CIPHERTEXT_BYTES, KEM_PUBLIC_KEY_BYTES, PSK_BYTES, TAG_BYTES, MAX_MESSAGE_BYTES } from '../noise/constants.js';
export {
  NOISE_PROTOCOL_NAME,
  DH_BYTES,
  HASH_BYTES,
  CIPHER_KEY_BYTES,
  TAG_BYTES,
  PSK_BYTES,
  MAX_MESSAGE_BYTES,
  NONCE_MAX_HIGH,
  NONCE_MAX_LOW,
  KEM_PUBLIC_KEY_BYTES,
  KEM_CIPHERTEXT_BYTES,
  KEM_OUTPUT_BYTES,
  HFS_DH_NAME,
} from '../noise/constants.js';

// ---------------------------------------------------------------- E2-E2 v1 identity

/** Version string that starts the prologue. */
export const E2E2_VERSION = 'e2e2/v1';

/** Version string of the post-quantum hybrid handshake (SPEC.md §13): its prologue starts with it instead. */
export const E2E2_VERSION_HYBRID = 'e2e2/v2-hybrid';

/** The Noise protocol of E2-E2 v2-hybrid: NN with the hfs and psk2 modifiers, X25519 + ML-KEM-768. */
export const NOISE_PROTOCOL_NAME_HYBRID = 'Noise_NNhfs+psk2_25519+MLKEM768_ChaChaPoly_SHA256';

/** Prologue = ASCII(E2E2_VERSION) || 0x00 || context, Noise §6. Upper bound on the context. */
export const MAX_CONTEXT_BYTES = 4096;

// ---------------------------------------------------------------- API keys (SPEC.md §4)

/** Token prefix, so keys are recognisable (secret scanners, logs): `e2e2_<keyId hex>_<secret base64url>`. */
export const API_KEY_PREFIX = 'e2e2_';

/** Public key id: 12 random bytes, written as 24 lowercase hex digits. */
export const KEY_ID_BYTES = 12;

/** API key secret: 32 uniformly random bytes (the Noise PSK); 43 base64url characters, no padding. */
export const API_KEY_SECRET_BYTES = PSK_BYTES;

// ---------------------------------------------------------------- handshake messages (SPEC.md §5)

/** Message 1: e (32) || ENCRYPT(keyId) (12 + 16). */
export const MESSAGE1_BYTES = DH_BYTES + KEY_ID_BYTES + TAG_BYTES;

/** Message 2: e (32) || ENCRYPT(empty payload) (16). */
export const MESSAGE2_BYTES = DH_BYTES + TAG_BYTES;

/** v2-hybrid message 1: e (32) || ENCRYPT(e1, the ML-KEM-768 public key) (1,184 + 16) || ENCRYPT(keyId) (12 + 16) = 1,260. */
export const MESSAGE1_HYBRID_BYTES = DH_BYTES + KEM_PUBLIC_KEY_BYTES + TAG_BYTES + KEY_ID_BYTES + TAG_BYTES;

/** v2-hybrid message 2: e (32) || ENCRYPT(ekem1, the ML-KEM-768 ciphertext) (1,088 + 16) || ENCRYPT(empty) (16) = 1,152. */
export const MESSAGE2_HYBRID_BYTES = DH_BYTES + KEM_CIPHERTEXT_BYTES + TAG_BYTES + TAG_BYTES;

// ---------------------------------------------------------------- records (SPEC.md §7)

/** Record plaintext = type (1 byte) || body. */
export const RECORD_TYPE_BYTES = 1;
/** Application data. */
export const RECORD_TYPE_DATA = 0x01;
/** End of this direction; empty body. Lets the receiver detect truncation. */
export const RECORD_TYPE_CLOSE = 0x02;
/** Application data (possibly empty); the sender's key is rekeyed (Noise Rekey()) right after this record. */
export const RECORD_TYPE_REKEY = 0x03;

/** Smallest record: type byte + tag. */
export const MIN_RECORD_BYTES = RECORD_TYPE_BYTES + TAG_BYTES;

/** Largest application data in one record: 65,535 - 16 (tag) - 1 (type) = 65,518. */
export const MAX_RECORD_DATA_BYTES = MAX_MESSAGE_BYTES - TAG_BYTES - RECORD_TYPE_BYTES;

/** Byte-stream framing: a 2-byte big-endian length before each handshake message or record. */
export const FRAME_HEADER_BYTES = 2;

/** Default: the sender rekeys (a REKEY record) so that each key encrypts at most this many records. */
export const DEFAULT_REKEY_AFTER_RECORDS = 65536;

// ---------------------------------------------------------------- derivation labels (SPEC.md §6)

/** exporter = HKDF-Expand(K2, LABEL_EXPORTER || 0x00 || h, 32). */
export const LABEL_EXPORTER = 'e2e2/v1/exporter';
/** sessionId = HKDF-Expand(exporter, LABEL_SESSION_ID || 0x00, 16). */
export const LABEL_SESSION_ID = 'e2e2/v1/session-id';
/** eapiRoot = HKDF-Expand(exporter, LABEL_EAPI_ROOT || 0x00, 32): all a verifier stores (SPEC.md §6.5). */
export const LABEL_EAPI_ROOT = 'e2e2/v1/eapi-root';
/** EAPI secret = HKDF-Expand(eapiRoot, LABEL_EAPI || 0x00 || params, 32). */
export const LABEL_EAPI = 'e2e2/v1/eapi';
/** EAPI request signature = HMAC-SHA256(EAPI secret, LABEL_EAPI_REQUEST || 0x00 || ...). */
export const LABEL_EAPI_REQUEST = 'e2e2/v1/eapi-request';
/** Key fingerprints for logs and demos: first 8 bytes of SHA-256(LABEL_FINGERPRINT || 0x00 || key). */
export const LABEL_FINGERPRINT = 'e2e2/v1/fingerprint';

/** Exporter secret size. */
export const EXPORTER_BYTES = 32;
/** EAPI root size: the per-session secret EAPIs derive from (never the exporter itself). */
export const EAPI_ROOT_BYTES = 32;
/** Session id size (public identifier, never sent during the handshake). */
export const SESSION_ID_BYTES = 16;
/** Fingerprint size. */
export const FINGERPRINT_BYTES = 8;

// ---------------------------------------------------------------- EAPI (SPEC.md §8)

/** EAPI secret size (an HMAC-SHA256 key). */
export const EAPI_SECRET_BYTES = 32;
/** Version byte of the EAPI authorization layout. */
export const EAPI_AUTHORIZATION_VERSION = 0x01;
/** Authorization header value = EAPI_AUTHORIZATION_SCHEME || ' ' || base64url(binary layout). */
export const EAPI_AUTHORIZATION_SCHEME = 'E2E2-EAPI';
/** Request nonce: 16 random bytes chosen by the client. */
export const EAPI_NONCE_BYTES = 16;
/** Signature: HMAC-SHA256 output. */
export const EAPI_SIGNATURE_BYTES = 32;
/** Largest EAPI index (u32). */
export const EAPI_MAX_INDEX = 0xffffffff;
/** Scope: space-separated tokens, at most this many bytes in all. */
export const EAPI_MAX_SCOPE_BYTES = 255;
/** HTTP method: an RFC 9110 token of at most this many bytes. */
export const EAPI_MAX_METHOD_BYTES = 32;
/** Request target (path and query): at most this many UTF-8 bytes. */
export const EAPI_MAX_PATH_BYTES = 8192;
/** Default accepted difference between the request timestamp and the verifier's clock, ms. */
export const DEFAULT_EAPI_CLOCK_SKEW_MS = 30_000;
/** Default number of request nonces a server session remembers (per session). */
export const DEFAULT_EAPI_REPLAY_CACHE_ENTRIES = 10_000;
/** Largest timestamp/expiry accepted, ms since the Unix epoch (Number.MAX_SAFE_INTEGER). */
export const EAPI_MAX_TIME_MS = Number.MAX_SAFE_INTEGER;
