/**
 * The two halves of examples/hono-workers' registry protocol, in Node: registry.mjs (the Node
 * server's session registry and replay store over HTTP, behind a bearer token) and
 * remote-stores.mjs (the Worker's `sessions` and `replay` verifier options). Run in workerd, end to
 * end, by test/examples.test.ts; here the refusals that run cannot show: a wrong token, malformed
 * and oversized claims, ids that must never reach a URL.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryReplayStore, MemorySessionRegistry } from '../bindings/index.js';
import type { EapiSessionRecord } from '../bindings/e2e2/eapi-stores.js';
import { ROOT } from './helpers/cli.js';

interface RemoteStores {
  sessions: { lookup(sessionId: string): Promise<EapiSessionRecord | undefined> };
  replay: { claim(key: string, ttlMs: number): Promise<boolean> };
}
type RegistryHandler = (options: { sessions: MemorySessionRegistry; replay: MemoryReplayStore; token: string }) => (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const EXAMPLE = join(ROOT, 'examples/hono-workers');
const TOKEN = 'a'.repeat(64);
const SESSION_ID = '0123456789abcdef0123456789abcdef';

describe('examples/hono-workers: registry.mjs and remote-stores.mjs', () => {
  let server: Server;
  let base: string;
  let remoteStores: (env: { REGISTRY_URL: string; REGISTRY_TOKEN: string }) => RemoteStores;
  const root = new Uint8Array(randomBytes(32));
  const replay = new MemoryReplayStore();
  let requests = 0;

  beforeAll(async () => {
    const { registryHandler } = (await import(pathToFileURL(join(EXAMPLE, 'registry.mjs')).href)) as { registryHandler: RegistryHandler };
    ({ remoteStores } = (await import(pathToFileURL(join(EXAMPLE, 'remote-stores.mjs')).href)) as { remoteStores: typeof remoteStores });
    const sessions = new MemorySessionRegistry();
    await sessions.register(SESSION_ID, { eapiRoot: root, keyId: 'k'.repeat(24), expiresAt: Date.now() + 600_000 });
    const handler = registryHandler({ sessions, replay, token: TOKEN });
    server = createServer((req, res) => {
      requests++;
      void handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}/registry/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('with the token: the record of a live session (the same root), undefined for an unknown or malformed id, single-use claims', async () => {
    const stores = remoteStores({ REGISTRY_URL: base, REGISTRY_TOKEN: TOKEN });
    const record = await stores.sessions.lookup(SESSION_ID);
    expect(record).toMatchObject({ keyId: 'k'.repeat(24) });
    expect(Buffer.from(record!.eapiRoot).equals(Buffer.from(root))).toBe(true);
    expect(await stores.sessions.lookup('f'.repeat(32))).toBeUndefined();
    // Not session ids (SPEC.md §6.4): answered without a request, so no path can be smuggled into the URL.
    const before = requests;
    for (const id of ['../claims', `../sessions/${SESSION_ID}`, SESSION_ID.toUpperCase(), `${SESSION_ID}0`, '']) expect(await stores.sessions.lookup(id)).toBeUndefined();
    expect(requests).toBe(before);
    expect(await stores.replay.claim(`${SESSION_ID}:nonce-1`, 60_000)).toBe(true);
    expect(await stores.replay.claim(`${SESSION_ID}:nonce-1`, 60_000)).toBe(false);
  });

  it('a wrong or missing token is refused by the registry, and the Worker side fails closed with ERR_STORE_UNAVAILABLE', async () => {
    for (const auth of [undefined, 'Bearer ' + 'b'.repeat(64), 'Bearer ' + TOKEN.slice(1), TOKEN]) {
      const response = await fetch(`${base}sessions/${SESSION_ID}`, auth === undefined ? {} : { headers: { authorization: auth } });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: 'unauthorized' });
    }
    const stores = remoteStores({ REGISTRY_URL: base, REGISTRY_TOKEN: 'wrong' });
    for (const attempt of [() => stores.sessions.lookup(SESSION_ID), () => stores.replay.claim(`${SESSION_ID}:nonce-2`, 60_000)]) {
      const error = (await attempt().then(() => undefined, (e: unknown) => e)) as { code?: string; message?: string; cause?: { message?: string } };
      expect(error?.code).toBe('ERR_STORE_UNAVAILABLE');
      expect(error?.message).toBe('session registry unreachable');
      expect(error?.cause?.message).toBe('session registry answered 401');
    }
    // The refused claim was not recorded.
    expect(await replay.claim(`${SESSION_ID}:nonce-2`, 60_000)).toBe(true);
  });

  it('malformed claims are 400 and an oversized one ends the connection, recording nothing', async () => {
    const post = (body: string) => fetch(`${base}claims`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body });
    for (const body of ['', 'not json', '{"key":1,"ttlMs":1000}', '{"key":"x","ttlMs":0}', '{"key":"x","ttlMs":1.5}', '{"key":"x"}']) {
      const response = await post(body);
      expect(response.status, body).toBe(400);
      expect(await response.json()).toEqual({ error: 'bad claim' });
    }
    const oversized = JSON.stringify({ key: `${SESSION_ID}:nonce-3`, ttlMs: 60_000, pad: 'x'.repeat(4096) });
    const answer = await post(oversized).then((r) => r.status, (e: unknown) => (e as Error).name);
    expect(answer).not.toBe(200);
    expect(await replay.claim(`${SESSION_ID}:nonce-3`, 60_000)).toBe(true);
  });
});
