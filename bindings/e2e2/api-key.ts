/**
 * API keys (SPEC.md §4): a public key id (12 random bytes) and a secret (32 uniformly random
 * bytes, the Noise PSK). Token form, 73 ASCII characters:
 *
 *     e2e2_<24 lowercase hex digits: key id>_<43 base64url characters, no padding: secret>
 *
 * Only this form (or the same two fields as bytes) is accepted: no passwords, no shorter
 * secrets, no other encodings, so every accepted key has 256 bits of entropy by construction
 * (what SPEC.md §9 relies on against offline guessing). Errors never contain the token.
 */
import { InvalidApiKeyError } from '../errors.js';
import { API_KEY_PREFIX, API_KEY_SECRET_BYTES, KEY_ID_BYTES } from './constants.js';
import { fromBase64Url, fromHex, isAllZero, randomBytes, toBase64Url, toHex } from './encoding.js';

export interface ApiKey {
  /** Public identifier: 24 lowercase hex digits (12 bytes). Sent readable by anyone in message 1. */
  keyId: string;
  /** The 32-byte secret (the Noise PSK). Never sent. */
  secret: Uint8Array;
}

export interface GeneratedApiKey extends ApiKey {
  /** The token to give the client: `e2e2_<keyId>_<secret base64url>`. */
  token: string;
}

const KEY_ID_HEX_CHARS = KEY_ID_BYTES * 2;
const SECRET_B64_CHARS = Math.ceil((API_KEY_SECRET_BYTES * 4) / 3);
const TOKEN_PATTERN = new RegExp(`^${API_KEY_PREFIX}([0-9a-f]{${KEY_ID_HEX_CHARS}})_([A-Za-z0-9_-]{${SECRET_B64_CHARS}})$`);

/** Format a key id and secret as a token. */
export function formatApiKey(apiKey: ApiKey): string {
  const { keyId, secret } = normalizeApiKey(apiKey);
  return `${API_KEY_PREFIX}${keyId}_${toBase64Url(secret)}`;
}

/** A fresh API key from the platform CSPRNG. The caller stores `keyId` → `secret` on the server and gives `token` to the client. */
export function generateApiKey(): GeneratedApiKey {
  const keyId = toHex(randomBytes(KEY_ID_BYTES));
  let secret = randomBytes(API_KEY_SECRET_BYTES);
  // Probability 2^-256; the loop only exists so the all-zero rejection below can never fire on our own keys.
  while (isAllZero(secret)) secret = randomBytes(API_KEY_SECRET_BYTES);
  return { keyId, secret, token: `${API_KEY_PREFIX}${keyId}_${toBase64Url(secret)}` };
}

/** Parse a token. Throws ERR_INVALID_API_KEY (without echoing the token) unless it is exactly the canonical form. */
export function parseApiKey(token: string): ApiKey {
  if (typeof token !== 'string') throw new InvalidApiKeyError('API key token must be a string');
  const match = TOKEN_PATTERN.exec(token);
  if (match === null) {
    throw new InvalidApiKeyError(`API key token must be "${API_KEY_PREFIX}" + ${KEY_ID_HEX_CHARS} lowercase hex digits + "_" + ${SECRET_B64_CHARS} base64url characters`);
  }
  // 43 characters always decode to 32 bytes (the pattern fixed the length); only the last one's low bits can be wrong.
  const secret = fromBase64Url(match[2]!);
  if (secret === undefined) throw new InvalidApiKeyError('API key secret is not canonical base64url of 32 bytes');
  return { keyId: match[1]!, secret: assertSecret(secret) };
}

/** Validate a key id (24 lowercase hex digits); returns its 12 bytes. */
export function keyIdBytes(keyId: string): Uint8Array {
  const bytes = typeof keyId === 'string' && keyId.length === KEY_ID_HEX_CHARS ? fromHex(keyId) : undefined;
  if (bytes === undefined) throw new InvalidApiKeyError(`keyId must be ${KEY_ID_HEX_CHARS} lowercase hex digits`);
  return bytes;
}

/** Validate a secret: exactly 32 bytes, not all zero (an uninitialised buffer is never a key). Returns it. */
export function assertSecret(secret: unknown): Uint8Array {
  if (!(secret instanceof Uint8Array) || secret.length !== API_KEY_SECRET_BYTES) {
    throw new InvalidApiKeyError(`API key secret must be a Uint8Array of exactly ${API_KEY_SECRET_BYTES} random bytes`);
  }
  if (isAllZero(secret)) throw new InvalidApiKeyError('API key secret is all zero');
  return secret;
}

/** Accept a token or `{ keyId, secret }`; returns a validated copy. */
export function normalizeApiKey(apiKey: string | ApiKey): ApiKey {
  if (typeof apiKey === 'string') return parseApiKey(apiKey);
  if (typeof apiKey !== 'object' || apiKey === null) throw new InvalidApiKeyError('apiKey must be a token string or { keyId, secret }');
  keyIdBytes(apiKey.keyId);
  return { keyId: apiKey.keyId, secret: assertSecret(apiKey.secret).slice() };
}
