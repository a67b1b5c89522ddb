/**
 * `e2e2/fleet` (Node): the shared state of several E2-E2 servers on Redis, so an EAPI issued on
 * one node verifies on any other (README "Running a fleet"). Needs the `redis` package
 * (node-redis), loaded only when a store is opened from a URL.
 */
export { RedisSessionRegistry, EAPI_ROOT_BYTES, type RedisSessionRegistryOptions } from './session-registry.js';
export { RedisReplayStore, type RedisReplayStoreOptions } from './replay-store.js';
export { DEFAULT_REDIS_COMMAND_TIMEOUT_MS, DEFAULT_REDIS_KEY_PREFIX, type RedisClientLike, type RedisSource, type RedisStoreOptions } from './redis.js';
export type { EapiSessionRecord, SessionRegistry, ReplayStore } from '../e2e2/eapi-stores.js';
export { RedisKeyStore, isRedisLocation, type RedisKeyStoreOptions } from './keystore.js';
export { openKeyStore, anyKeyStoreResolver, type AnyKeyStore } from './keys.js';
