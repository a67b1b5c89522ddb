/**
 * Tests that kill mutants of bindings/e2e2/session.ts (issue 13): the exact message of every
 * lifecycle and record-size error, EAPI issuing and verification on disposed and closing sessions,
 * a request presented under another session id, and the test hooks' copies.
 */
import { describe, expect, it } from 'vitest';
import { generateApiKey } from '../bindings/index.js';
import { Eapi } from '../bindings/e2e2/eapi.js';
import { signEapiHttpRequest } from '../bindings/e2e2/eapi-http.js';
import { fromHex } from '../bindings/e2e2/encoding.js';
import { sessionLiveSecretsForTestingOnly, sessionSnapshotForTestingOnly, sessionUsesDummyKey } from '../bindings/e2e2/session.js';
import { createClientHandshake, createServerHandshake } from '../bindings/index.js';
import { expectCode, expectCodeAsync, hexOf } from './oracle/harness.js';
import { handshakePair } from './helpers/handshake.js';

const KEY = generateApiKey();
const NOW = 1_800_000_000_000;
const GET = { method: 'GET', url: 'https://api.example.com/a' };
const zero = (a: Uint8Array): boolean => a.every((b) => b === 0);

describe('session errors: exact messages', () => {
  it('pending server, sending after close, receiving after the peer’s close', async () => {
    const { client, server } = await handshakePair(KEY);
    expectCode(() => server.seal(new Uint8Array(1)), 'ERR_INVALID_STATE', 'server session is pending: the client has not yet proven the API key (wait for its first record)');
    server.open(client.seal(new Uint8Array(1)));
    server.open(client.close());
    expectCode(() => client.seal(new Uint8Array(1)), 'ERR_SESSION_CLOSED', 'this side already sent its close record');
    expectCode(() => server.open(new Uint8Array(17)), 'ERR_SESSION_CLOSED', 'the peer already sent its close record');
  });

  it('data and record sizes and types', async () => {
    const { client, server } = await handshakePair(KEY);
    expectCode(() => client.seal('x' as never), 'ERR_INVALID_ARGUMENT', 'data must be a Uint8Array');
    expectCode(() => client.seal(new Uint8Array(65_519)), 'ERR_PAYLOAD_TOO_LARGE', 'one record carries at most 65518 bytes of data');
    expectCode(() => server.open('x' as never), 'ERR_INVALID_ARGUMENT', 'record must be a Uint8Array');
    expectCode(() => server.open(new Uint8Array(65_536)), 'ERR_MESSAGE_TOO_LARGE', 'record exceeds 65535 bytes (Noise §3)');
    expectCode(() => server.open(new Uint8Array(16)), 'ERR_MALFORMED_MESSAGE', 'record is shorter than 17 bytes');
    expect(server.open(client.seal(new Uint8Array(65_518))).type).toBe('data');
  });
});

describe('EAPIs and the session lifecycle', () => {
  it('issueEapi: options that are not an object; closing and disposed sessions, with their messages', async () => {
    const { client, server } = await handshakePair(KEY);
    expectCode(() => client.issueEapi('s' as never), 'ERR_INVALID_ARGUMENT', 'options must be an object');
    expectCode(() => client.issueEapi(null as never), 'ERR_INVALID_ARGUMENT', 'options must be an object');
    server.open(client.seal(new Uint8Array(0)));
    server.open(client.close());
    const closing = 'session is closing or closed: EAPIs end with it';
    expectCode(() => client.issueEapi({ scope: 's', expiresAt: NOW }), 'ERR_SESSION_CLOSED', closing);
    expectCode(() => server.verifyEapi({ authorization: 'E2E2-EAPI x', method: 'GET', path: '/', now: NOW, requiredScope: 's' }), 'ERR_SESSION_CLOSED', closing);
    await expectCodeAsync(() => server.verifyEapiHttp(GET), 'ERR_SESSION_CLOSED', closing);
  });

  it('a disposed server session refuses verifyEapiHttp and exportEapiRoot as disposed, not as an authentication failure', async () => {
    const { client, server } = await handshakePair(KEY);
    const eapi = client.issueEapi({ scope: 's', expiresAt: NOW + 60_000 });
    const request = { ...GET, headers: { ...signEapiHttpRequest(eapi, GET, { now: NOW }) } };
    await expect(server.verifyEapiHttp(request, { now: NOW })).resolves.toMatchObject({ scope: 's' });
    server.dispose();
    await expectCodeAsync(() => server.verifyEapiHttp(request, { now: NOW }), 'ERR_SESSION_DISPOSED', 'session was disposed');
    expectCode(() => server.exportEapiRoot(), 'ERR_SESSION_DISPOSED', 'session was disposed');
  });

  it('an EAPI under this session’s root but claiming another session id is refused', async () => {
    const { client, server } = await handshakePair(KEY);
    const other = 'ab'.repeat(16);
    expect(other).not.toBe(client.sessionId);
    const root = server.exportEapiRoot();
    const forged = new Eapi(root, fromHex(other)!, { index: 0, scope: 's', expiresAt: NOW + 60_000 });
    const request = { ...GET, headers: { ...signEapiHttpRequest(forged, GET, { now: NOW }) } };
    await expectCodeAsync(() => server.verifyEapiHttp(request, { now: NOW }), 'ERR_AUTHENTICATION_FAILED', 'authentication failed');
    // The same EAPI under its real session id is accepted: only the claimed id differs.
    const real = new Eapi(root, fromHex(client.sessionId)!, { index: 0, scope: 's', expiresAt: NOW + 60_000 });
    await expect(server.verifyEapiHttp({ ...GET, headers: { ...signEapiHttpRequest(real, GET, { now: NOW }) } }, { now: NOW })).resolves.toMatchObject({ scope: 's' });
  });

  it('postQuantum is false for v1 sessions on both sides', async () => {
    const { client, server } = await handshakePair(KEY);
    expect(client.postQuantum).toBe(false);
    expect(server.postQuantum).toBe(false);
  });
});

describe('test hooks hand out what they say', () => {
  it('the snapshot keeps its own exporter copy; after dispose the live secrets are the zeroed exporter and EAPI root', async () => {
    const { client } = await handshakePair(KEY);
    const snapshot = sessionSnapshotForTestingOnly(client);
    const exporter = hexOf(snapshot.exporter as Uint8Array);
    client.dispose();
    expect(hexOf(snapshot.exporter as Uint8Array)).toBe(exporter);
    expect(zero(snapshot.exporter as Uint8Array)).toBe(false);
    const live = sessionLiveSecretsForTestingOnly(client);
    expect(live.length).toBe(2);
    expect(live.every(zero)).toBe(true);
  });
});

describe('EAPIs held for the session’s wipe, and the dummy-key flag', () => {
  it('every EAPI still live is wiped by the session’s dispose(), also when others were issued after it', async () => {
    const { client } = await handshakePair(KEY);
    const a = client.issueEapi({ scope: 's', expiresAt: NOW });
    const b = client.issueEapi({ scope: 's', expiresAt: NOW });
    const c = client.issueEapi({ scope: 's', expiresAt: NOW });
    const secrets = [a, b, c].map((e) => e.liveSecretForTestingOnly()!);
    b.dispose(); // rotated away: the session lets it go
    client.issueEapi({ scope: 's', expiresAt: NOW });
    expect(secrets.map(zero)).toStrictEqual([false, true, false]);
    client.dispose();
    expect(secrets.every(zero)).toBe(true);
    expect(a.disposed && c.disposed).toBe(true);
  });

  it('sessionUsesDummyKey is true exactly for a server session of an unknown key id', async () => {
    const { server } = await handshakePair(KEY);
    expect(sessionUsesDummyKey(server)).toBe(false);
    const { session } = await createServerHandshake({ resolveKey: () => undefined }).respond(createClientHandshake({ apiKey: KEY.token }).writeMessage1());
    expect(sessionUsesDummyKey(session)).toBe(true);
  });
});
