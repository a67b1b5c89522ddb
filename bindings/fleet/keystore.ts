/**
 * The API key store on Redis (issue 9 item 6): the file store's operations (create, revoke, list,
 * lookup, close; bindings/channel/keystore.ts), asynchronous, shared by every node of a fleet.
 *
 *   <prefix>keys                hash: key id → {"secret","label","created","revoked"} (JSON, as in the file)
 *   <prefix>keys:revoked        pub/sub channel: the id of each key just revoked
 *
 * Revocation reaches every node at once: revoke() writes the hash, then PUBLISHes the id;
 * each server that called onRevoked() closes that key's live channels (4006) on the message.
 * A node that missed the message (its subscription was down) still closes them at its next
 * revocation check (revocationCheckIntervalMs, default 2 s), because lookup() reads Redis on
 * every call: a revoked or unknown key resolves to undefined from then on.
 *
 * lookup() is one HGET for every id, known, unknown or revoked, so the handshake does the same
 * work whichever it is. While Redis cannot answer, lookups reject with ERR_STORE_UNAVAILABLE:
 * new handshakes fail (closed, never accepted without a key) and open channels are kept (a store
 * that cannot answer proves no revocation).
 *
 * Redis holds the API key secrets here, as the key file does: protect it like that file (ACL,
 * TLS with rediss://, no exposure beyond the fleet's network).
 */
import { generateApiKey } from '../e2e2/api-key.js';
import { API_KEY_SECRET_BYTES } from '../e2e2/constants.js';
import { fromBase64UrlConstantTime, toBase64Url } from '../e2e2/encoding.js';
import { KeyStoreError, StoreUnavailableError, isE2E2Error } from '../errors.js';
import type { KeyInfo, StoredKey } from '../channel/keystore.js';
import { RedisConnection, closeClient, type RedisClientLike, type RedisSource, type RedisStoreOptions } from './redis.js';

const LABEL_MAX_CHARS = 200;
const SECRET_CHARS = Math.ceil((API_KEY_SECRET_BYTES * 4) / 3);
const KEY_ID_PATTERN = /^[0-9a-f]{24}$/;

/** Options of a RedisKeyStore: the connection's (timeout, key prefix, error reporting). */
export type RedisKeyStoreOptions = RedisStoreOptions;

/** One hash field, checked; undefined when it is not a stored key. */
function parseStored(id: string, value: unknown): Omit<StoredKey, 'id'> | undefined {
  if (typeof value !== 'string') return undefined;
  let data: unknown;
  try {
    data = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const { secret, label, created, revoked } = data as Record<string, unknown>;
  if (typeof secret !== 'string' || secret.length !== SECRET_CHARS || typeof label !== 'string' || typeof created !== 'string') return undefined;
  if (revoked !== null && typeof revoked !== 'string') return undefined;
  if (!KEY_ID_PATTERN.test(id)) return undefined;
  return { secret, label, created, revoked };
}

function malformed(id: string): KeyStoreError {
  return new KeyStoreError(`the key store on Redis holds a malformed entry for key ${JSON.stringify(id)}`);
}

/** The fleet's API key store: the file store's operations on a Redis hash, revocations published to every server. */
export class RedisKeyStore {
  /** Where the keys are (the URL without its password, or "redis client"). */
  readonly location: string;
  readonly #redis: RedisConnection;
  readonly #subscribers: RedisClientLike[] = [];

  /** `source`: a redis:// URL (connected here, closed by close()) or a node-redis client of yours. */
  constructor(source: RedisSource, options: RedisKeyStoreOptions = {}) {
    this.#redis = new RedisConnection(source, options, 'key store');
    this.location = typeof source === 'string' || source instanceof URL ? redactedUrl(String(source)) : 'redis client';
  }

  get #hash(): string {
    return `${this.#redis.prefix}keys`;
  }

  get #channel(): string {
    return `${this.#redis.prefix}keys:revoked`;
  }

  /** Resolves once connected; rejects with ERR_STORE_UNAVAILABLE after commandTimeoutMs. */
  ready(): Promise<void> {
    return this.#redis.ready();
  }

  /** Create a key. The returned secret is the only time it leaves the store. */
  async create(label = ''): Promise<StoredKey> {
    if (typeof label !== 'string' || label.length > LABEL_MAX_CHARS || /[\u0000-\u001f\u007f]/.test(label)) {
      throw new KeyStoreError(`label must be a string of at most ${LABEL_MAX_CHARS} printable characters`);
    }
    for (;;) {
      const generated = generateApiKey();
      const secret = toBase64Url(generated.secret);
      generated.secret.fill(0);
      const key: StoredKey = { id: generated.keyId, secret, label, created: new Date().toISOString(), revoked: null };
      const { id, ...stored } = key;
      // HSETNX: ids are random; a collision is astronomically unlikely, but never overwrite a key.
      if ((await this.#redis.command(['HSETNX', this.#hash, id, JSON.stringify(stored)])) === 1) return key;
    }
  }

  /**
   * Revoke a key: new handshakes with it fail at once on every node, and every node that called
   * onRevoked() closes its live channels on the published message.
   */
  async revoke(id: string): Promise<KeyInfo> {
    const value = await this.#redis.command(['HGET', this.#hash, String(id)]);
    if (value === null || value === undefined) throw new KeyStoreError(`no key with id ${JSON.stringify(id)}`);
    const stored = parseStored(id, value);
    if (stored === undefined) throw malformed(id);
    if (stored.revoked === null) {
      stored.revoked = new Date().toISOString();
      await this.#redis.command(['HSET', this.#hash, id, JSON.stringify(stored)]);
    }
    // Published again for a key already revoked: a node that missed the first message closes its channels now.
    await this.#redis.command(['PUBLISH', this.#channel, id]);
    const { secret: _secret, ...info } = stored;
    return { id, ...info };
  }

  /** Every key, without secrets, oldest first. */
  async list(): Promise<KeyInfo[]> {
    const reply = await this.#redis.command(['HGETALL', this.#hash]);
    const entries = hashEntries(reply);
    const keys: KeyInfo[] = [];
    for (const [id, value] of entries) {
      const stored = parseStored(id, value);
      if (stored === undefined) throw malformed(id);
      const { secret: _secret, ...info } = stored;
      keys.push({ id, ...info });
    }
    return keys.sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : a.id < b.id ? -1 : 1));
  }

  /**
   * The 32-byte secret of a valid key, or undefined when the id is unknown or revoked (the
   * handshake treats both like a wrong key). One HGET whatever the id. The bytes are wiped on the
   * next turn of the event loop: copy them at once (the handshake does). Rejects with
   * ERR_STORE_UNAVAILABLE when Redis cannot answer, ERR_KEY_STORE for a malformed entry.
   */
  async lookup(id: string): Promise<Uint8Array | undefined> {
    if (typeof id !== 'string') return undefined;
    const value = await this.#redis.command(['HGET', this.#hash, id]);
    if (value === null || value === undefined) return undefined;
    const stored = parseStored(id, value);
    if (stored === undefined) throw malformed(id);
    if (stored.revoked !== null) return undefined;
    const secret = fromBase64UrlConstantTime(stored.secret);
    if (secret === undefined || secret.length !== API_KEY_SECRET_BYTES) throw malformed(id);
    setImmediate(() => secret.fill(0));
    return secret;
  }

  /** A handshake key resolver over this store (ServerOptions.keys). */
  resolver(): (keyId: string) => Promise<Uint8Array | undefined> {
    return (keyId) => this.lookup(keyId);
  }

  /**
   * Call `listener` with the id of every key revoked anywhere in the fleet (pub/sub on a second
   * connection, resubscribed by itself after a reconnection). Typically
   * `store.onRevoked((id) => server.revokeKey(id))`. Resolves once subscribed; returns a function
   * that ends the subscription.
   */
  async onRevoked(listener: (keyId: string) => void): Promise<() => Promise<void>> {
    const base = await this.#redis.client().catch((error: unknown) => {
      throw new StoreUnavailableError('the key store cannot reach Redis', { cause: error });
    });
    const subscriber = base.duplicate();
    if (typeof subscriber.subscribe !== 'function') throw new KeyStoreError('the Redis client has no subscribe(): use a node-redis client');
    subscriber.on('error', () => {});
    this.#subscribers.push(subscriber);
    const end = async () => {
      const at = this.#subscribers.indexOf(subscriber);
      if (at >= 0) this.#subscribers.splice(at, 1);
      await closeClient(subscriber);
    };
    try {
      await withTimeout(subscriber.connect(), this.#redis.timeoutMs);
      await withTimeout(
        subscriber.subscribe(this.#channel, (message) => {
          if (!KEY_ID_PATTERN.test(message)) return;
          try {
            listener(message);
          } catch {
            // A throwing listener must not end the subscription for the next revocation.
          }
        }),
        this.#redis.timeoutMs,
      );
    } catch (error) {
      await end();
      throw isE2E2Error(error) ? error : new StoreUnavailableError('the key store cannot subscribe to revocations', { cause: error });
    }
    return end;
  }

  /** Ends the subscriptions and, if opened here from a URL, the connection. */
  async close(): Promise<void> {
    await Promise.all([...this.#subscribers].map((s) => closeClient(s)));
    this.#subscribers.length = 0;
    await this.#redis.close();
  }
}

/** HGETALL answers a flat array (RESP2) or a map/object (RESP3, type mappings). */
function hashEntries(reply: unknown): [string, unknown][] {
  if (reply === null || reply === undefined) return [];
  if (Array.isArray(reply)) {
    const out: [string, unknown][] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), reply[i + 1]]);
    return out;
  }
  if (reply instanceof Map) return [...reply.entries()].map(([k, v]) => [String(k), v]);
  if (typeof reply === 'object') return Object.entries(reply as Record<string, unknown>);
  return [];
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
    work.catch(() => {});
  }
}

/** A URL for messages: never its password. */
export function redactedUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return 'redis';
  }
}

/** True for redis:// and rediss:// locations (as opposed to key store file paths). */
export function isRedisLocation(location: string): boolean {
  return /^rediss?:\/\//i.test(location);
}
