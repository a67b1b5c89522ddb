/**
 * The key store in the E2-E2 key format (SPEC.md §4): ids are 24 hex digits, secrets 32 random
 * bytes stored as base64url, and the token handed to a client is `e2e2_<keyId>_<secret>`.
 */
import { formatApiKey, generateApiKey } from '../e2e2/api-key.js';
import type { ResolveKey } from '../e2e2/handshake.js';
import { fromBase64UrlConstantTime, toBase64Url } from '../e2e2/encoding.js';
import { KeyStoreError } from '../errors.js';
import { KeyStore, type KeyStoreOptions, type StoredKey } from './keystore.js';

/** Default key store file, relative to the working directory (`--store` / E2E2_KEY_STORE override it). */
export const DEFAULT_KEY_STORE_PATH = 'e2e2-keys.json';

/** Open (or prepare to create) the key store at `path`. */
export function openKeyStore(path: string = DEFAULT_KEY_STORE_PATH, options: Omit<KeyStoreOptions, 'generate'> = {}): KeyStore {
  return new KeyStore(path, {
    ...options,
    generate() {
      const key = generateApiKey();
      const secret = toBase64Url(key.secret);
      key.secret.fill(0);
      return { id: key.keyId, secret };
    },
  });
}

/** The token a client connects with, for a key just created (the only time a secret is shown). */
export function apiKeyToken(key: StoredKey): string {
  const secret = fromBase64UrlConstantTime(key.secret);
  if (secret === undefined) throw new KeyStoreError(`key ${key.id} has a secret that is not base64url`);
  try {
    return formatApiKey({ keyId: key.id, secret });
  } finally {
    secret.fill(0);
  }
}

/**
 * A handshake key resolver over a store: valid keys resolve to their secret; unknown and revoked
 * ones to undefined. Both paths are the same work (one Map lookup; secrets were decoded at load).
 * The returned bytes are the store's own: the handshake copies them and never writes to them.
 */
export function keyStoreResolver(store: KeyStore): ResolveKey {
  return (keyId) => store.lookup(keyId);
}
