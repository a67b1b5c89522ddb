/**
 * `openKeyStore(location)`: a redis:// (or rediss://) URL opens the key store on Redis
 * (keystore.ts), anything else the key store file (bindings/channel/keys.ts). Both have create,
 * revoke, list, lookup and close; the Redis one answers with promises (`await` works on both).
 */
import type { ResolveKey } from '../e2e2/handshake.js';
import { openKeyStore as openFileKeyStore, keyStoreResolver } from '../channel/keys.js';
import { KeyStore, type KeyStoreOptions } from '../channel/keystore.js';
import { RedisKeyStore, isRedisLocation, type RedisKeyStoreOptions } from './keystore.js';

/** Either key store: the file (synchronous methods) or Redis (the same methods, returning promises). */
export type AnyKeyStore = KeyStore | RedisKeyStore;

/** A redis:// or rediss:// URL: the key store on Redis. */
export function openKeyStore(location: `redis://${string}` | `rediss://${string}`, options?: RedisKeyStoreOptions): RedisKeyStore;
/** Any location: a Redis URL opens the key store on Redis, anything else the key store file at that path. */
export function openKeyStore(location: string, options?: Omit<KeyStoreOptions, 'generate'> | RedisKeyStoreOptions): AnyKeyStore;
export function openKeyStore(location: string, options: Omit<KeyStoreOptions, 'generate'> | RedisKeyStoreOptions = {}): AnyKeyStore {
  if (isRedisLocation(location)) return new RedisKeyStore(location, options as RedisKeyStoreOptions);
  return openFileKeyStore(location, options as Omit<KeyStoreOptions, 'generate'>);
}

/** The handshake resolver of either store (ServerOptions.keys). */
export function anyKeyStoreResolver(store: AnyKeyStore): ResolveKey {
  return store instanceof RedisKeyStore ? store.resolver() : keyStoreResolver(store);
}
