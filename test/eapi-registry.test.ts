/**
 * The session registry and replay store behind RFC 9421 EAPI verification (SPEC.md §8.7): the
 * in-memory defaults, and E2E2Server registering each authenticated session's EAPI root (never the
 * exporter) and removing it the moment its close starts, so a second server sharing the registry
 * verifies EAPIs of sessions it does not hold, and refuses them once they end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../bindings/channel-node.js';
import type { Channel } from '../bindings/channel/channel.js';
import type { E2E2Server } from '../bindings/channel/server.js';
import { signEapiHttpRequest, type EapiHttpRequest } from '../bindings/e2e2/eapi-http.js';
import { MemoryReplayStore, MemorySessionRegistry, type EapiSessionRecord, type SessionRegistry } from '../bindings/e2e2/eapi-stores.js';
import { StoreUnavailableError } from '../bindings/errors.js';
import { expectCodeAsync } from './oracle/harness.js';
import { memoryKeys, startEchoServer } from './helpers/channel.js';
import * as oracle from './oracle/e2e2.js';

const ID = 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf';
const root = (fill: number) => new Uint8Array(32).fill(fill);

describe('MemorySessionRegistry', () => {
  it('keeps its own copy, hands out copies, wipes what it drops, and forgets expired entries', async () => {
    let now = 1000;
    const registry = new MemorySessionRegistry({ now: () => now });
    const mine = root(7);
    await registry.register(ID, { eapiRoot: mine, keyId: 'k1', expiresAt: 2000 });
    mine.fill(9); // the caller's array is its own: changing it changes nothing stored
    const first = (await registry.lookup(ID))!;
    expect(first).toEqual({ eapiRoot: root(7), keyId: 'k1', expiresAt: 2000 });
    first.eapiRoot.fill(0); // nor does wiping a copy handed out
    expect((await registry.lookup(ID))!.eapiRoot).toEqual(root(7));
    now = 2000;
    expect(await registry.lookup(ID)).toBeUndefined();
    expect(registry.size).toBe(0);
    await registry.register(ID, { eapiRoot: root(1), keyId: 'k1', expiresAt: 5000 });
    await registry.unregister(ID);
    await registry.unregister(ID); // idempotent
    expect(await registry.lookup(ID)).toBeUndefined();
  });

  it('is bounded: full of live sessions, register rejects with ERR_STORE_UNAVAILABLE; an expired one makes room', async () => {
    let now = 0;
    const registry = new MemorySessionRegistry({ maxEntries: 2, now: () => now });
    await registry.register('00'.repeat(16), { eapiRoot: root(1), keyId: 'k', expiresAt: 100 });
    await registry.register('01'.repeat(16), { eapiRoot: root(1), keyId: 'k', expiresAt: 1000 });
    await expectCodeAsync(() => registry.register('02'.repeat(16), { eapiRoot: root(1), keyId: 'k', expiresAt: 1000 }), 'ERR_STORE_UNAVAILABLE', 'session registry is full (2 sessions)');
    // Re-registering a known id is not a new entry.
    await registry.register('01'.repeat(16), { eapiRoot: root(2), keyId: 'k', expiresAt: 2000 });
    now = 100;
    await registry.register('02'.repeat(16), { eapiRoot: root(3), keyId: 'k', expiresAt: 1000 });
    expect(registry.size).toBe(2);
  });

  it('refuses malformed ids and records with ERR_INVALID_ARGUMENT', async () => {
    const registry = new MemorySessionRegistry();
    const good: EapiSessionRecord = { eapiRoot: root(1), keyId: 'k', expiresAt: 1 };
    await expectCodeAsync(() => registry.register('A0'.repeat(16), good), 'ERR_INVALID_ARGUMENT', 'sessionId must be 32 lowercase hex characters');
    await expectCodeAsync(() => registry.register(ID, { ...good, eapiRoot: new Uint8Array(31) }), 'ERR_INVALID_ARGUMENT', 'eapiRoot must be 32 bytes');
    await expectCodeAsync(() => registry.register(ID, { ...good, expiresAt: 1.5 }), 'ERR_INVALID_ARGUMENT', 'expiresAt must be a time in ms since the Unix epoch');
    expect(() => new MemorySessionRegistry({ maxEntries: 0 })).toThrow('maxEntries must be a positive integer');
  });
});

describe('MemoryReplayStore', () => {
  it('claims a key once for its time to live, then again after it', async () => {
    let now = 0;
    const store = new MemoryReplayStore({ now: () => now });
    expect(await store.claim('s:n1', 100)).toBe(true);
    expect(await store.claim('s:n1', 100)).toBe(false);
    now = 99;
    expect(await store.claim('s:n1', 100)).toBe(false);
    now = 100;
    expect(await store.claim('s:n1', 100)).toBe(true);
    await expectCodeAsync(() => store.claim('', 1), 'ERR_INVALID_ARGUMENT', 'key must be a non-empty string');
    await expectCodeAsync(() => store.claim('k', 0), 'ERR_INVALID_ARGUMENT', 'ttlMs must be a positive integer');
  });

  it('full of live nonces it fails closed (ERR_STORE_UNAVAILABLE) and never forgets one; expired ones make room', async () => {
    let now = 0;
    const store = new MemoryReplayStore({ maxEntries: 2, now: () => now });
    expect(await store.claim('a', 10)).toBe(true);
    expect(await store.claim('b', 50)).toBe(true);
    await expectCodeAsync(() => store.claim('c', 10), 'ERR_STORE_UNAVAILABLE', 'replay store is full (2 live nonces)');
    expect(await store.claim('a', 10)).toBe(false); // still remembered
    now = 10;
    expect(await store.claim('c', 10)).toBe(true); // 'a' expired and was swept
    expect(await store.claim('b', 50)).toBe(false);
    expect(store.size).toBe(2);
  });
});

// ---------------------------------------------------------------- E2E2Server with a registry

const servers: E2E2Server[] = [];
const channels: Channel[] = [];
afterEach(async () => {
  for (const c of channels.splice(0)) if (c.state !== 'closed') c.on('close', () => {});
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function request(eapiSessionUrl = 'https://api.example.com/orders?x=1'): EapiHttpRequest {
  return { method: 'POST', url: eapiSessionUrl, headers: { 'content-type': 'application/json' }, body: '{"a":1}' };
}

function signed(channel: Channel, scope = 'orders:write', req = request()): EapiHttpRequest {
  const eapi = channel.issueEapi({ scope, expiresAt: Date.now() + 60_000 });
  const sig = signEapiHttpRequest(eapi, req);
  return { ...req, headers: { ...(req.headers as Record<string, string>), ...(sig as unknown as Record<string, string>) } };
}

/** A registry that records what it was given (copies), to check what a server stores. */
function recordingRegistry(): SessionRegistry & { registered: Map<string, EapiSessionRecord>; calls: string[] } {
  const inner = new MemorySessionRegistry();
  const registered = new Map<string, EapiSessionRecord>();
  const calls: string[] = [];
  return {
    registered,
    calls,
    async register(id, record) {
      calls.push(`register ${id}`);
      registered.set(id, { ...record, eapiRoot: record.eapiRoot.slice() });
      return inner.register(id, record);
    },
    lookup: (id) => inner.lookup(id),
    async unregister(id) {
      calls.push(`unregister ${id}`);
      return inner.unregister(id);
    },
  };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<number> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
  return performance.now() - start;
}

describe('E2E2Server: session registry and verifyEapiHttp', () => {
  it('registers the EAPI root (not the exporter) with the key id; another server sharing the registry verifies; a close is refused at once', async () => {
    const keys = memoryKeys();
    const key = keys.add();
    const registry = recordingRegistry();
    const replay = new MemoryReplayStore();
    const a = await startEchoServer(keys, { eapiSessions: registry, eapiReplay: replay });
    const b = await startEchoServer(keys, { eapiSessions: registry, eapiReplay: replay });
    servers.push(a, b);
    let serverChannel: Channel | undefined;
    a.on('channel', (c) => void (serverChannel = c));
    const client = await connect(`ws://127.0.0.1:${a.port}`, { apiKey: key.token });
    channels.push(client);
    await until(() => registry.registered.has(client.sessionId));
    const stored = registry.registered.get(client.sessionId)!;
    expect(stored.keyId).toBe(key.keyId);
    expect(stored.expiresAt).toBeGreaterThan(Date.now());
    expect(stored.expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000);

    // The stored root is the oracle's eapiRoot(exporter) of this session: check it by verifying on B
    // with nothing but the registry, and on A (which holds the session).
    const onB = await b.verifyEapiHttp(signed(client), { requiredScope: 'orders:write' });
    expect(onB).toMatchObject({ sessionId: client.sessionId, index: 0, scope: 'orders:write' });
    await expect(a.verifyEapiHttp(signed(client))).resolves.toMatchObject({ index: 1 });

    // A nonce used on A is refused on B: one shared replay store.
    const once = signed(client);
    await a.verifyEapiHttp(once);
    await expectCodeAsync(() => b.verifyEapiHttp(once), 'ERR_EAPI_REPLAYED');

    // The client closes: the session's EAPIs end on B as soon as the close starts.
    const pending = signed(client);
    const closed = client.close();
    const ms = await until(() => registry.calls.includes(`unregister ${client.sessionId}`));
    await expectCodeAsync(() => b.verifyEapiHttp(pending), 'ERR_AUTHENTICATION_FAILED');
    await expectCodeAsync(() => a.verifyEapiHttp(pending), 'ERR_AUTHENTICATION_FAILED');
    await closed;
    expect(ms).toBeLessThan(5000);
    await serverChannel!.closed;
    expect(await registry.lookup(client.sessionId)).toBeUndefined();
  });

  it('the stored root derives the client\'s EAPI secrets (SPEC §6.5, by the oracle) and is not the exporter', async () => {
    const keys = memoryKeys();
    const key = keys.add();
    const registry = recordingRegistry();
    const server = await startEchoServer(keys, { eapiSessions: registry });
    servers.push(server);
    const client = await connect(`ws://127.0.0.1:${server.port}`, { apiKey: key.token });
    channels.push(client);
    await until(() => registry.registered.has(client.sessionId));
    const stored = registry.registered.get(client.sessionId)!.eapiRoot;
    // The client's EAPI secret is derived from this root, per the oracle.
    const eapi = client.issueEapi({ scope: 's', expiresAt: 4_000_000_000_000, index: 3 });
    expect(Buffer.from(oracle.eapiSecretFromRoot(stored, 3, 's', 4_000_000_000_000)).toString('hex')).toBe(Buffer.from(eapi.secretForTestingOnly()).toString('hex'));
    // Were it the exporter, the oracle's exporter → root → secret chain would give the same secret.
    expect(Buffer.from(oracle.eapiSecret(stored, 3, 's', 4_000_000_000_000)).toString('hex')).not.toBe(Buffer.from(eapi.secretForTestingOnly()).toString('hex'));
  });

  it('a session that ends by a server-side abort or revocation is unregistered too; server.close() unregisters every session', async () => {
    const keys = memoryKeys();
    const k1 = keys.add();
    const k2 = keys.add();
    const registry = recordingRegistry();
    const server = await startEchoServer(keys, { eapiSessions: registry });
    servers.push(server);
    const c1 = await connect(`ws://127.0.0.1:${server.port}`, { apiKey: k1.token });
    const c2 = await connect(`ws://127.0.0.1:${server.port}`, { apiKey: k2.token });
    channels.push(c1, c2);
    c1.on('close', () => {});
    c2.on('close', () => {});
    await until(() => registry.registered.size === 2);
    expect(server.revokeKey(k1.keyId)).toBe(1);
    await until(() => registry.calls.includes(`unregister ${c1.sessionId}`));
    expect(await registry.lookup(c1.sessionId)).toBeUndefined();
    expect(await registry.lookup(c2.sessionId)).toBeDefined();
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    expect(registry.calls).toContain(`unregister ${c2.sessionId}`);
    expect(await registry.lookup(c2.sessionId)).toBeUndefined();
  });

  it('a registry that cannot answer: channels keep working, registration failures go to the error event, verification fails closed typed', async () => {
    const keys = memoryKeys();
    const key = keys.add();
    const down: SessionRegistry = {
      register: async () => {
        throw new StoreUnavailableError('registry down');
      },
      lookup: async () => {
        throw new StoreUnavailableError('registry down');
      },
      unregister: async () => {
        throw new Error('connection refused');
      },
    };
    const a = await startEchoServer(keys, { eapiSessions: down });
    const b = await startEchoServer(keys, { eapiSessions: down });
    servers.push(a, b);
    const errors: string[] = [];
    a.on('error', (error) => void errors.push(`${error.code}: ${error.message}`));
    const client = await connect(`ws://127.0.0.1:${a.port}`, { apiKey: key.token });
    channels.push(client);
    client.send(new TextEncoder().encode('still works'));
    const [echo] = await Promise.all([client[Symbol.asyncIterator]().next()]);
    expect(new TextDecoder().decode(echo.value)).toBe('still works');
    await until(() => errors.length === 1);
    expect(errors).toEqual(['ERR_STORE_UNAVAILABLE: registry down']);
    // A, which holds the session, still verifies it; B fails closed.
    await expect(a.verifyEapiHttp(signed(client))).resolves.toMatchObject({ index: 0 });
    await expectCodeAsync(() => b.verifyEapiHttp(signed(client)), 'ERR_STORE_UNAVAILABLE', 'registry down');
    await client.close();
    await until(() => errors.length === 2);
    expect(errors[1]).toBe('ERR_STORE_UNAVAILABLE: session registry unregister failed');
  });

  it('refuses registries and replay stores that do not implement the interface', async () => {
    const keys = memoryKeys();
    await expectCodeAsync(async () => startEchoServer(keys, { eapiSessions: { lookup: async () => undefined } as unknown as SessionRegistry }), 'ERR_INVALID_ARGUMENT', 'eapiSessions must implement register, lookup and unregister');
    await expectCodeAsync(async () => startEchoServer(keys, { eapiReplay: {} as never }), 'ERR_INVALID_ARGUMENT', 'eapiReplay must implement claim');
    await expectCodeAsync(async () => startEchoServer(keys, { eapiSessionTtlMs: 10 }), 'ERR_INVALID_ARGUMENT', 'eapiSessionTtlMs must be an integer from 1000 to 9007199254740991');
  });
});
