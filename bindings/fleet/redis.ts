/**
 * The Redis connection behind the fleet stores (e2e2/fleet, Node only). The `redis` package
 * (node-redis) is imported lazily, on the first store opened from a URL, so importing e2e2 (or
 * e2e2/fleet with a client of your own) never loads it.
 *
 * Every command is bounded: it fails within `commandTimeoutMs` (default 1,000 ms) with
 * ERR_STORE_UNAVAILABLE when Redis is down, slow, or not connected yet: nothing is queued while
 * the connection is away (node-redis disableOfflineQueue), so a verifier fails closed at once
 * instead of piling up requests. The client reconnects by itself (backoff capped at
 * RECONNECT_MAX_DELAY_MS) and the stores answer again as soon as it is back.
 */
import { InvalidArgumentError, StoreUnavailableError } from '../errors.js';

/** Default bound on one Redis command, including the wait for a (re)connection, ms. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1000;
/** Default key prefix of everything e2e2 writes to Redis. */
export const DEFAULT_REDIS_KEY_PREFIX = 'e2e2:';
/** Longest pause between reconnection attempts, ms. */
export const RECONNECT_MAX_DELAY_MS = 500;

/**
 * What the stores use of a node-redis client (`createClient()` from `redis` satisfies it): raw
 * commands only, so any node-redis 5 or 6 client (RESP2 or RESP3, any type mapping) fits.
 */
export interface RedisClientLike {
  /** One raw command (e.g. ['SET', key, value, 'NX', 'PX', '1000']). */
  sendCommand(args: string[], options?: { timeout?: number }): Promise<unknown>;
  /** Connected and ready for commands. */
  readonly isReady: boolean;
  /** connect() was called and close() not yet. */
  readonly isOpen: boolean;
  /** Events used: 'ready' (after each (re)connection) and 'error'. */
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Removes a listener added with on(). */
  off?(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Opens the connection (a subscriber made with duplicate() is connected by the key store). */
  connect(): Promise<unknown>;
  /** A second client with the same options (subscriptions need their own connection). */
  duplicate(): RedisClientLike;
  /** Ends the connection after pending replies (node-redis 5+). */
  close?(): Promise<unknown>;
  /** Ends the connection after pending replies (older node-redis). */
  quit?(): Promise<unknown>;
  /** Ends the connection at once. */
  destroy?(): void;
  /** Subscribes to a pub/sub channel (key store revocations). */
  subscribe?(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
}

/** A Redis URL (redis:// or rediss://) or a client you created (and connect and close yourself). */
export type RedisSource = string | URL | RedisClientLike;

/** Options every Redis store takes. */
export interface RedisStoreOptions {
  /** Bound on each command, including the wait for a connection, ms. Default 1,000. */
  commandTimeoutMs?: number;
  /** Prefix of every key and channel name. Default "e2e2:". */
  keyPrefix?: string;
  /** Told about connection errors of a client opened from a URL (default: ignored; commands report them as ERR_STORE_UNAVAILABLE). */
  onError?: (error: unknown) => void;
}

function isClient(source: RedisSource): source is RedisClientLike {
  return typeof source === 'object' && source !== null && !(source instanceof URL) && typeof (source as RedisClientLike).sendCommand === 'function';
}

export function redisUrl(source: string | URL): string {
  const text = String(source);
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new InvalidArgumentError('a Redis URL must look like redis://host:port', { cause: error });
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new InvalidArgumentError('a Redis URL must start with redis:// or rediss://');
  return text;
}

export function commandTimeout(options: RedisStoreOptions): number {
  const ms = options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS;
  if (!Number.isInteger(ms) || ms < 1) throw new InvalidArgumentError('commandTimeoutMs must be a positive integer');
  return ms;
}

export function keyPrefix(options: RedisStoreOptions): string {
  const prefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
  if (typeof prefix !== 'string' || /[\s\u0000-\u001f]/.test(prefix)) throw new InvalidArgumentError('keyPrefix must be a string without spaces or control characters');
  return prefix;
}

/** A node-redis client for `url`, connecting in the background: fail fast while away, reconnect with capped backoff. */
export async function createRedisClient(url: string, options: { connectTimeoutMs: number; onError?: (error: unknown) => void }): Promise<RedisClientLike> {
  let redis: typeof import('redis');
  try {
    redis = await import('redis');
  } catch (error) {
    throw new InvalidArgumentError('e2e2/fleet needs the "redis" package (node-redis): npm install redis', { cause: error });
  }
  const client = redis.createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: options.connectTimeoutMs,
      reconnectStrategy: (retries: number) => Math.min(25 * 2 ** retries, RECONNECT_MAX_DELAY_MS),
    },
  });
  // Without a listener node-redis rethrows socket errors as uncaught: report them, never crash;
  // once per outage (each reconnection attempt fails the same way), again after the next 'ready'.
  let reported = false;
  client.on('error', (error: unknown) => {
    if (reported) return;
    reported = true;
    options.onError?.(error);
  });
  client.on('ready', () => (reported = false));
  // The first connection may fail too (Redis not up yet): the reconnect strategy keeps trying.
  client.connect().catch((error: unknown) => options.onError?.(error));
  return client as unknown as RedisClientLike;
}

/**
 * One connection as the stores use it: commands bounded by the timeout and mapped to
 * StoreUnavailableError; `close()` ends the client only if it was opened here from a URL.
 */
export class RedisConnection {
  readonly prefix: string;
  readonly timeoutMs: number;
  readonly #owned: boolean;
  readonly #client: Promise<RedisClientLike>;
  readonly #what: string;
  readonly #onError: ((error: unknown) => void) | undefined;
  #closed = false;

  constructor(source: RedisSource, options: RedisStoreOptions, what: string) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object');
    this.prefix = keyPrefix(options);
    this.timeoutMs = commandTimeout(options);
    this.#what = what;
    this.#onError = options.onError;
    if (isClient(source)) {
      this.#owned = false;
      this.#client = Promise.resolve(source);
    } else if (typeof source === 'string' || source instanceof URL) {
      const url = redisUrl(source);
      this.#owned = true;
      this.#client = createRedisClient(url, { connectTimeoutMs: this.timeoutMs, ...(options.onError ? { onError: options.onError } : {}) });
      // A missing `redis` package surfaces on the first command; never as an unhandled rejection.
      this.#client.catch(() => {});
    } else {
      throw new InvalidArgumentError('the Redis source must be a redis:// URL or a node-redis client');
    }
  }

  /**
   * Call `listener` each time the connection becomes ready again after it was lost (not on the
   * first connection). The client is the one given or opened here; returns a remover.
   */
  onReconnect(listener: () => void): () => void {
    let connectedOnce = false;
    let removed = false;
    let attached: RedisClientLike | undefined;
    const onReady = () => {
      if (!connectedOnce) {
        connectedOnce = true;
        return;
      }
      if (!removed) listener();
    };
    this.#client.then(
      (client) => {
        if (removed) return;
        attached = client;
        connectedOnce = client.isReady;
        client.on('ready', onReady);
      },
      () => {},
    );
    return () => {
      removed = true;
      attached?.off?.('ready', onReady);
    };
  }

  /** The client (for a second connection: subscribers need their own). */
  client(): Promise<RedisClientLike> {
    return this.#client;
  }

  get owned(): boolean {
    return this.#owned;
  }

  /** Resolves once the client is connected (or rejects with StoreUnavailableError after the timeout). */
  async ready(timeoutMs = this.timeoutMs): Promise<void> {
    const client = await this.#client;
    await this.#bounded(waitReady(client, timeoutMs), timeoutMs);
  }

  /** Run one raw command, bounded, waiting for the connection up to the same bound. */
  async command(args: string[]): Promise<unknown> {
    if (this.#closed) throw new StoreUnavailableError(`the ${this.#what} is closed`);
    const started = Date.now();
    let client: RedisClientLike;
    try {
      client = await this.#client;
    } catch (error) {
      throw new StoreUnavailableError(`the ${this.#what} cannot reach Redis`, { cause: error });
    }
    return this.#bounded(
      (async () => {
        if (!client.isReady) await waitReady(client, this.timeoutMs);
        const left = Math.max(1, this.timeoutMs - (Date.now() - started));
        return client.sendCommand(args, { timeout: left });
      })(),
      this.timeoutMs,
    );
  }

  async #bounded<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([work, timeout]);
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(`the ${this.#what} cannot reach Redis`, { cause: error });
    } finally {
      clearTimeout(timer);
      // The losing side must not become an unhandled rejection.
      work.catch(() => {});
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#owned) return;
    let client: RedisClientLike;
    try {
      client = await this.#client;
    } catch {
      return;
    }
    await closeClient(client, this.#onError);
  }
}

/** End a client we opened: politely when connected, at once otherwise (a down server never answers QUIT). */
export async function closeClient(client: RedisClientLike, onError?: (error: unknown) => void): Promise<void> {
  try {
    if (client.isReady && typeof client.close === 'function') await client.close();
    else if (client.isReady && typeof client.quit === 'function') await client.quit();
    else if (client.isOpen) client.destroy?.();
  } catch (error) {
    onError?.(error);
    try {
      client.destroy?.();
    } catch {
      // already gone
    }
  }
}

/** Resolves when the client is ready, rejects after `timeoutMs`. */
function waitReady(client: RedisClientLike, timeoutMs: number): Promise<void> {
  if (client.isReady) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      clearTimeout(timer);
      client.off?.('ready', onReady);
      resolve();
    };
    const timer = setTimeout(() => {
      client.off?.('ready', onReady);
      reject(new Error(`not connected within ${timeoutMs} ms`));
    }, timeoutMs);
    client.on('ready', onReady);
  });
}
