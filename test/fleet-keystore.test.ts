/**
 * The API key store on Redis (bindings/fleet/keystore.ts) against a real redis-server: the file
 * store's operations, secrets kept only in the hash, revocation published to every subscriber
 * at once, a real channel server resolving keys from it, and failing closed while Redis is down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore } from '../bindings/channel/keystore.js';
import { createServer } from '../bindings/channel/server.js';
import { connect } from '../bindings/channel/node.js';
import { RedisKeyStore, openKeyStore, anyKeyStoreResolver } from '../bindings/fleet/index.js';
import { apiKeyToken } from '../bindings/channel/keys.js';
import { redisMissing, startRedisWithClient, type RawRedis, type RedisServer } from './helpers/redis.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const missing = redisMissing();

describe.skipIf(missing !== undefined)('key store on Redis', () => {
  let redis: RedisServer;
  let raw: RawRedis;
  let dispose: (() => Promise<void>) | undefined;
  beforeAll(async () => void ({ redis, raw, dispose } = await startRedisWithClient()));
  afterAll(() => dispose?.());

  it('openKeyStore picks the store by location: redis:// → RedisKeyStore, a path → the file store', () => {
    const dir = mkdtempSync(join(tmpdir(), 'e2e2-fleet-keys-'));
    try {
      const file = openKeyStore(join(dir, 'keys.json'));
      expect(file).toBeInstanceOf(KeyStore);
      file.close();
      const store = openKeyStore(redis.url);
      expect(store).toBeInstanceOf(RedisKeyStore);
      void store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('create, list (never secrets), lookup, revoke: the same operations as the file store', async () => {
    const store = new RedisKeyStore(redis.url, { keyPrefix: 'ks1:' });
    try {
      const a = await store.create('first');
      const b = await store.create('second');
      expect(a.id).toMatch(/^[0-9a-f]{24}$/);
      expect(apiKeyToken(a)).toMatch(/^e2e2_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/);
      const list = await store.list();
      expect(list.map((k) => k.id).sort()).toEqual([a.id, b.id].sort());
      expect(JSON.stringify(list)).not.toContain(a.secret);
      expect(list.find((k) => k.id === a.id)).toMatchObject({ label: 'first', revoked: null });
      // What Redis holds: one hash field per key.
      expect(await raw.hLen('ks1:keys')).toBe(2);

      const secret = await store.lookup(a.id);
      expect(Buffer.from(secret!).toString('base64url')).toBe(a.secret);
      expect(await store.lookup('0'.repeat(24))).toBeUndefined();

      const info = await store.revoke(a.id);
      expect(info.id).toBe(a.id);
      expect(info.revoked).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(info).not.toHaveProperty('secret');
      expect(await store.lookup(a.id)).toBeUndefined();
      expect((await store.lookup(b.id))?.length).toBe(32);
      expect((await store.list()).find((k) => k.id === a.id)?.revoked).toBe(info.revoked);
      await expect(store.revoke('f'.repeat(24))).rejects.toMatchObject({ code: 'ERR_KEY_STORE', message: `no key with id "${'f'.repeat(24)}"` });
      await expect(store.create('bad\nlabel')).rejects.toMatchObject({ code: 'ERR_KEY_STORE' });
    } finally {
      await store.close();
    }
  });

  it('a malformed entry is ERR_KEY_STORE, never a key', async () => {
    const store = new RedisKeyStore(redis.url, { keyPrefix: 'ks-bad:' });
    try {
      await raw.hSet('ks-bad:keys', 'a'.repeat(24), '{"secret":"tooshort","label":"","created":"x","revoked":null}');
      await expect(store.lookup('a'.repeat(24))).rejects.toMatchObject({ code: 'ERR_KEY_STORE' });
      await expect(store.list()).rejects.toMatchObject({ code: 'ERR_KEY_STORE' });
    } finally {
      await store.close();
    }
  });

  it('revoke() on one node reaches every subscribed node at once (pub/sub)', async () => {
    const nodeA = new RedisKeyStore(redis.url, { keyPrefix: 'ks2:' });
    const nodeB = new RedisKeyStore(redis.url, { keyPrefix: 'ks2:' });
    const cli = new RedisKeyStore(redis.url, { keyPrefix: 'ks2:' });
    const other = new RedisKeyStore(redis.url, { keyPrefix: 'other:' });
    try {
      const seenA: string[] = [];
      const seenB: string[] = [];
      const seenOther: string[] = [];
      await nodeA.onRevoked((id) => seenA.push(id));
      const endB = await nodeB.onRevoked((id) => seenB.push(id));
      await other.onRevoked((id) => seenOther.push(id));
      const key = await cli.create();
      const started = performance.now();
      await cli.revoke(key.id);
      while ((seenA.length === 0 || seenB.length === 0) && performance.now() - started < 5000) await new Promise((r) => setTimeout(r, 2));
      console.log(`revocation seen by both subscribers ${(performance.now() - started).toFixed(1)} ms after revoke() resolved`);
      expect(seenA).toEqual([key.id]);
      expect(seenB).toEqual([key.id]);
      expect(seenOther, 'another prefix is another fleet').toEqual([]);
      await endB();
      const second = await cli.create();
      await cli.revoke(second.id);
      const waitA = performance.now();
      while (seenA.length < 2 && performance.now() - waitA < 5000) await new Promise((r) => setTimeout(r, 2));
      expect(seenA).toEqual([key.id, second.id]);
      expect(seenB, 'an ended subscription hears nothing').toEqual([key.id]);
    } finally {
      await Promise.all([nodeA.close(), nodeB.close(), cli.close(), other.close()]);
    }
  });

  it('a channel server resolves keys from it: a valid key connects, a revoked one is refused and its live channel closed (4006)', { timeout: 60_000 }, async () => {
    const store = new RedisKeyStore(redis.url, { keyPrefix: 'ks3:' });
    const server = await createServer({ keys: anyKeyStoreResolver(store), revocationCheckIntervalMs: 600_000, onChannel: async (ch) => { for await (const m of ch) ch.send(m); } });
    try {
      await store.onRevoked((id) => server.revokeKey(id));
      const key = await store.create('live');
      const channel = await connect(server.url, { apiKey: apiKeyToken(key) });
      channel.send(new TextEncoder().encode('ping'));
      for await (const m of channel) {
        expect(new TextDecoder().decode(m)).toBe('ping');
        break;
      }
      await store.revoke(key.id);
      const info = await channel.closed;
      expect(info.code).toBe(4006);
      expect(info.error?.code).toBe('ERR_KEY_REVOKED');
      await expect(connect(server.url, { apiKey: apiKeyToken(key) })).rejects.toMatchObject({ code: 'ERR_AUTHENTICATION_FAILED' });
    } finally {
      await server.close();
      await store.close();
    }
  });

  // Last: stops and restarts the shared server.
  it('Redis down: lookups fail closed (ERR_STORE_UNAVAILABLE) and handshakes fail; back: they work again and the subscription resumes', { timeout: 60_000 }, async () => {
    const store = new RedisKeyStore(redis.url, { keyPrefix: 'ks4:', commandTimeoutMs: 300 });
    const server = await createServer({ keys: store.resolver(), onChannel: async (ch) => { for await (const m of ch) ch.send(m); } });
    const reported: string[] = [];
    server.on('error', (error) => reported.push(error.code));
    const seen: string[] = [];
    try {
      await store.onRevoked((id) => seen.push(id));
      const key = await store.create();
      const before = await connect(server.url, { apiKey: apiKeyToken(key) });
      await redis.stop();
      await expect(store.lookup(key.id)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      await expect(connect(server.url, { apiKey: apiKeyToken(key) }), 'no key, no handshake').rejects.toBeDefined();
      expect(reported).toContain('ERR_STORE_UNAVAILABLE');
      expect(before.state, 'a channel opened before the outage stays open').toBe('open');
      await before.close();
      await expect(store.create()).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      await redis.restart();
      const deadline = Date.now() + 10_000;
      let created: Awaited<ReturnType<RedisKeyStore['create']>> | undefined;
      while (created === undefined && Date.now() < deadline) {
        created = await store.create().catch(() => undefined);
        if (created === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      expect(created).toBeDefined();
      // The restarted Redis is empty: the key made before the outage is gone (no persistence in this test).
      expect(await store.lookup(key.id)).toBeUndefined();
      // node-redis resubscribes after reconnecting; give it the same bound.
      let revokedAt = 0;
      while (seen.length === 0 && Date.now() < deadline) {
        await store.revoke(created!.id);
        revokedAt = Date.now();
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(revokedAt).toBeGreaterThan(0);
      expect(seen[0]).toBe(created!.id);
      const fresh = await store.create();
      const after = await connect(server.url, { apiKey: apiKeyToken(fresh) });
      expect((await after.close()).error).toBeUndefined();
    } finally {
      await server.close();
      await store.close();
    }
  });
});
