/**
 * e2e2/fleet stores against a real redis-server (test/helpers/redis.ts; skipped with a printed
 * reason where it is absent, a failure under CI=true): the session registry's key, value and
 * TTL, unregister, two stores sharing one Redis (two nodes), a nonce claimed exactly once, and
 * failing closed with ERR_STORE_UNAVAILABLE within the command timeout while Redis is down, then
 * answering again once it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { RedisReplayStore, RedisSessionRegistry } from '../bindings/fleet/index.js';
import { randomBytes, toHex } from '../bindings/e2e2/encoding.js';
import { redisMissing, startCut, startRedisWithClient, type RawRedis, type RedisServer } from './helpers/redis.js';

const missing = redisMissing();

const sessionId = () => toHex(randomBytes(16));

describe.skipIf(missing !== undefined)('fleet stores on Redis', () => {
  let redis: RedisServer;
  let raw: RawRedis;
  let dispose: (() => Promise<void>) | undefined;
  beforeAll(async () => void ({ redis, raw, dispose } = await startRedisWithClient()));
  afterAll(() => dispose?.());

  it('register writes e2e2:session:<id> with the record and PX expiresAt − now; lookup reads it back; unregister deletes it', async () => {
    const registry = new RedisSessionRegistry(redis.url);
    try {
      const id = sessionId();
      const eapiRoot = randomBytes(32);
      const expiresAt = Date.now() + 60_000;
      await registry.register(id, { eapiRoot, keyId: 'k1', expiresAt });
      const stored = JSON.parse((await raw.get(`e2e2:session:${id}`))!) as { r: string; k: string; e: number };
      expect(stored.k).toBe('k1');
      expect(stored.e).toBe(expiresAt);
      expect(Buffer.from(stored.r, 'base64url').equals(Buffer.from(eapiRoot))).toBe(true);
      const ttl = await raw.pTTL(`e2e2:session:${id}`);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);

      const found = await registry.lookup(id);
      expect(found).toEqual({ eapiRoot, keyId: 'k1', expiresAt });
      expect(await registry.lookup(sessionId())).toBeUndefined();
      expect(await registry.lookup('not-a-session-id')).toBeUndefined();

      await registry.unregister(id);
      expect(await raw.exists(`e2e2:session:${id}`)).toBe(0);
      expect(await registry.lookup(id)).toBeUndefined();
      await registry.unregister(id); // idempotent
    } finally {
      await registry.close();
    }
  });

  it('an entry vanishes at expiresAt (Redis TTL), and a record already over is not written', async () => {
    const registry = new RedisSessionRegistry(redis.url);
    try {
      const id = sessionId();
      await registry.register(id, { eapiRoot: randomBytes(32), keyId: 'k', expiresAt: Date.now() + 1000 });
      expect(await registry.lookup(id)).toBeDefined();
      await new Promise((r) => setTimeout(r, 1300));
      expect(await raw.exists(`e2e2:session:${id}`)).toBe(0);
      expect(await registry.lookup(id)).toBeUndefined();
      const over = sessionId();
      await registry.register(over, { eapiRoot: randomBytes(32), keyId: 'k', expiresAt: Date.now() - 1 });
      expect(await raw.exists(`e2e2:session:${over}`)).toBe(0);
    } finally {
      await registry.close();
    }
  });

  it('checks what it is given, and a malformed entry in Redis fails closed (ERR_STORE_UNAVAILABLE), not as a session', async () => {
    const registry = new RedisSessionRegistry(redis.url, { keyPrefix: 'test-malformed:' });
    try {
      await expect(registry.register('zz', { eapiRoot: randomBytes(32), keyId: 'k', expiresAt: Date.now() + 1000 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      await expect(registry.register(sessionId(), { eapiRoot: randomBytes(31), keyId: 'k', expiresAt: Date.now() + 1000 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      const id = sessionId();
      await raw.set(`test-malformed:session:${id}`, '{"r":"short","k":"k","e":99999999999999}');
      await expect(registry.lookup(id)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', message: 'the session registry holds a malformed entry' });
    } finally {
      await registry.close();
    }
  });

  it('two registries on one Redis (two nodes) see each other; a key prefix separates fleets', async () => {
    const a = new RedisSessionRegistry(redis.url);
    const b = new RedisSessionRegistry(redis.url);
    const other = new RedisSessionRegistry(redis.url, { keyPrefix: 'other-fleet:' });
    try {
      const id = sessionId();
      const eapiRoot = randomBytes(32);
      await a.register(id, { eapiRoot, keyId: 'kA', expiresAt: Date.now() + 10_000 });
      expect((await b.lookup(id))?.keyId).toBe('kA');
      expect(await other.lookup(id)).toBeUndefined();
      await a.unregister(id);
      expect(await b.lookup(id)).toBeUndefined();
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });

  it('a nonce is claimed once across the fleet (SET NX PX): true, then false on any node; it expires after its TTL', async () => {
    const a = new RedisReplayStore(redis.url);
    const b = new RedisReplayStore(redis.url);
    try {
      const key = `${sessionId()}:nonce-1`;
      const results = await Promise.all([a.claim(key, 5000), b.claim(key, 5000), a.claim(key, 5000)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await b.claim(key, 5000)).toBe(false);
      const pttl = await raw.pTTL(`e2e2:nonce:${key}`);
      expect(pttl).toBeGreaterThan(3000);
      expect(pttl).toBeLessThanOrEqual(5000);
      const short = `${sessionId()}:nonce-2`;
      expect(await a.claim(short, 100)).toBe(true);
      await new Promise((r) => setTimeout(r, 250));
      expect(await b.claim(short, 100), 'claimable again once its TTL passed').toBe(true);
      await expect(a.claim('', 100)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      await expect(a.claim('k', 0)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('works over a node-redis client passed in (assignable as it is), and leaves that client open on close()', async () => {
    const client = createClient({ url: redis.url });
    client.on('error', () => {});
    await client.connect();
    const registry = new RedisSessionRegistry(client, { keyPrefix: 'own:' });
    const replay = new RedisReplayStore(client, { keyPrefix: 'own:' });
    const id = sessionId();
    await registry.register(id, { eapiRoot: randomBytes(32), keyId: 'k', expiresAt: Date.now() + 10_000 });
    expect(await client.exists(`own:session:${id}`)).toBe(1);
    expect(await replay.claim('x', 1000)).toBe(true);
    await registry.close();
    await replay.close();
    expect(client.isReady).toBe(true);
    await client.close();
  });

  it('rejects URLs that are not redis:// and options that make no sense', () => {
    expect(() => new RedisSessionRegistry('http://127.0.0.1:6379')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => new RedisReplayStore('not a url')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => new RedisReplayStore(redis.url, { commandTimeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => new RedisReplayStore(redis.url, { keyPrefix: 'a b' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('a Redis that does not answer (CLIENT PAUSE) fails the command at commandTimeoutMs, then answers again', { timeout: 30_000 }, async () => {
    const registry = new RedisSessionRegistry(redis.url, { commandTimeoutMs: 200 });
    try {
      await registry.ready();
      const id = sessionId();
      await registry.register(id, { eapiRoot: randomBytes(32), keyId: 'k', expiresAt: Date.now() + 60_000 });
      const other = sessionId();
      await registry.register(other, { eapiRoot: randomBytes(32), keyId: 'other', expiresAt: Date.now() + 60_000 });
      // Connected, but every command of every client waits 3 s.
      await raw.sendCommand(['CLIENT', 'PAUSE', '3000', 'ALL']);
      const started = performance.now();
      const error = await registry.lookup(id).catch((e: unknown) => e);
      const took = performance.now() - started;
      expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      expect(took, 'bounded by commandTimeoutMs, not by the pause').toBeLessThan(2500);
      expect(took).toBeGreaterThanOrEqual(150);
      await new Promise((r) => setTimeout(r, 3100));
      // The late reply to the timed-out GET is not taken for the next command's.
      expect((await registry.lookup(other))?.keyId).toBe('other');
      expect((await registry.lookup(id))?.keyId).toBe('k');
    } finally {
      await registry.close();
    }
  });

  it('a partition (Redis keeps its data): what changed meanwhile is written on reconnection; a session closed meanwhile is deleted', { timeout: 60_000 }, async () => {
    const cut = await startCut(redis.port);
    const registry = new RedisSessionRegistry(cut.url, { commandTimeoutMs: 300, keyPrefix: 'cut:' });
    try {
      await registry.ready();
      const [live, closed, opened] = [sessionId(), sessionId(), sessionId()];
      const record = () => ({ eapiRoot: randomBytes(32), keyId: 'k', expiresAt: Date.now() + 60_000 });
      await registry.register(live, record());
      await registry.register(closed, record());
      cut.cut();
      await expect(registry.unregister(closed)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      await expect(registry.register(opened, record())).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      // Redis itself still holds the closed session and not the new one.
      expect(await raw.exists(`cut:session:${closed}`)).toBe(1);
      expect(await raw.exists(`cut:session:${opened}`)).toBe(0);
      cut.restore();
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && ((await raw.exists(`cut:session:${closed}`)) === 1 || (await raw.exists(`cut:session:${opened}`)) === 0)) {
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(await raw.exists(`cut:session:${closed}`), 'the unregister that failed was done on reconnection').toBe(0);
      expect(await raw.exists(`cut:session:${opened}`), 'the register that failed was done on reconnection').toBe(1);
      expect(await raw.exists(`cut:session:${live}`)).toBe(1);
      expect(registry.localSessions).toBe(2);
    } finally {
      await registry.close();
      await cut.close();
    }
  });

  // Last: it stops and restarts the shared server.
  it('Redis down: every command fails closed with ERR_STORE_UNAVAILABLE within the timeout; Redis back (empty): this node\'s live sessions are written again', { timeout: 60_000 }, async () => {
    const timeoutMs = 300;
    const registry = new RedisSessionRegistry(redis.url, { commandTimeoutMs: timeoutMs });
    const replay = new RedisReplayStore(redis.url, { commandTimeoutMs: timeoutMs });
    const record = () => ({ eapiRoot: randomBytes(32), keyId: 'k', expiresAt: Date.now() + 60_000 });
    try {
      await registry.ready();
      await replay.ready();
      const [live, closed, opened] = [sessionId(), sessionId(), sessionId()];
      await registry.register(live, record());
      await registry.register(closed, record());
      await redis.stop();
      for (const attempt of [
        () => registry.lookup(live),
        () => registry.register(opened, record()),
        () => registry.unregister(closed),
        () => replay.claim(`${live}:n`, 1000),
      ]) {
        const started = performance.now();
        const error = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        const took = performance.now() - started;
        expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
        expect((error as Error).message).toMatch(/cannot reach Redis/);
        // Bounded by the timeout (plus generous slack for a loaded machine), never hanging.
        expect(took).toBeLessThan(timeoutMs + 2000);
      }
      await redis.restart();
      // The clients reconnect by themselves (backoff capped at 500 ms) and the registry resyncs.
      const deadline = Date.now() + 10_000;
      let answered: unknown;
      while (Date.now() < deadline) {
        answered = await replay.claim(`${live}:after`, 1000).catch((e: unknown) => e);
        if (answered === true) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(answered).toBe(true);
      while (Date.now() < deadline && (await raw.exists(`e2e2:session:${opened}`).catch(() => 0)) === 0) await new Promise((r) => setTimeout(r, 25));
      expect((await registry.lookup(live))?.keyId, 'live before the outage: written again').toBe('k');
      expect((await registry.lookup(opened))?.keyId, 'registered during the outage: written on reconnection').toBe('k');
      expect(await registry.lookup(closed), 'unregistered during the outage: not written again').toBeUndefined();
      expect(registry.localSessions).toBe(2);
    } finally {
      await registry.close();
      await replay.close();
    }
  });
});
