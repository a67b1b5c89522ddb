/**
 * The replay store on Redis: each request nonce is claimed once across the fleet with
 * `SET <prefix>nonce:<key> 1 NX PX <ttl>` (atomic in Redis: exactly one node's SET succeeds).
 * Checked after the MAC (eapi-http.ts), so only authentic requests reach Redis. Fails closed:
 * a Redis that cannot answer within commandTimeoutMs rejects with ERR_STORE_UNAVAILABLE and the
 * request is refused, never accepted unchecked.
 */
import { InvalidArgumentError } from '../errors.js';
import type { ReplayStore } from '../e2e2/eapi-stores.js';
import { RedisConnection, type RedisSource, type RedisStoreOptions } from './redis.js';

/** Longest replay key accepted (a session id, a colon and a base64url nonce are far shorter). */
const MAX_REPLAY_KEY_CHARS = 512;

/** Options of a RedisReplayStore: the connection's (timeout, key prefix, error reporting). */
export type RedisReplayStoreOptions = RedisStoreOptions;

/** The fleet's ReplayStore: each request nonce claimed once across every server, with SET NX PX. */
export class RedisReplayStore implements ReplayStore {
  readonly #redis: RedisConnection;

  /** `source`: a redis:// URL (connected here, closed by close()) or a node-redis client of yours. */
  constructor(source: RedisSource, options: RedisReplayStoreOptions = {}) {
    this.#redis = new RedisConnection(source, options, 'replay store');
  }

  /** Resolves once connected; rejects with ERR_STORE_UNAVAILABLE after commandTimeoutMs. */
  ready(): Promise<void> {
    return this.#redis.ready();
  }

  /** True the first time `key` is claimed within `ttlMs`, false for a replay. */
  async claim(key: string, ttlMs: number): Promise<boolean> {
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_REPLAY_KEY_CHARS) throw new InvalidArgumentError(`a replay key must be 1 to ${MAX_REPLAY_KEY_CHARS} characters`);
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new InvalidArgumentError('ttlMs must be a positive integer');
    const reply = await this.#redis.command(['SET', `${this.#redis.prefix}nonce:${key}`, '1', 'NX', 'PX', String(ttlMs)]);
    return reply === 'OK';
  }

  /** Ends the connection if it was opened here from a URL (a client passed in stays yours). */
  close(): Promise<void> {
    return this.#redis.close();
  }
}
