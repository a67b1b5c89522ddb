/**
 * Tests that kill mutants of bindings/e2e2/eapi-fetch.ts (issue 13; SPEC.md §8.6): option bounds
 * at both ends with their messages, the defaults, renewal at its exact bound, an ended source whose
 * issueEapi does not throw, bodies read in several chunks, and the path of runtimes without
 * Request.body (Firefox), simulated by hiding the getter. Requests are captured by options.fetch
 * and verified with verifyEapiHttpRequest against the server session's EAPI root.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEapiFetch, generateApiKey, MemoryReplayStore, verifyEapiHttpRequest, type ClientSession, type EapiFetchOptions } from '../bindings/index.js';
import type { Eapi } from '../bindings/e2e2/eapi.js';
import { expectCode, expectCodeAsync } from './oracle/harness.js';
import { handshakePair } from './helpers/handshake.js';

const KEY = generateApiKey();
const T0 = 1_800_000_000_000;

async function setup(options: Partial<EapiFetchOptions> = {}) {
  const { client, server } = await handshakePair(KEY);
  const sent: Request[] = [];
  const capture = async (input: RequestInfo | URL) => (sent.push(input as Request), new Response('ok'));
  const f = createEapiFetch(client, { scope: 's', lifetimeMs: 60_000, fetch: capture, ...options });
  const verify = async (request: Request, now?: number) =>
    verifyEapiHttpRequest(
      { method: request.method, url: request.url, headers: request.headers, body: new Uint8Array(await request.arrayBuffer()) },
      { lookupSession: () => ({ eapiRoot: server.exportEapiRoot(), keyId: KEY.keyId }), replay: new MemoryReplayStore(), ...(now === undefined ? {} : { now }) },
    );
  return { client, server, f, sent, verify };
}

/** A source that hands out the client's EAPIs and keeps each one. */
function recordingSource(client: ClientSession, state?: string) {
  const issued: Eapi[] = [];
  return {
    issued,
    source: {
      state,
      issueEapi: (options: { scope: string; expiresAt: number }) => {
        const eapi = client.issueEapi(options);
        issued.push(eapi);
        return eapi;
      },
    },
  };
}

describe('options at their bounds', () => {
  it('each integer option: its message names the range; both ends are accepted', async () => {
    const { client } = await handshakePair(KEY);
    const make = (options: Partial<EapiFetchOptions>) => () => createEapiFetch(client, { scope: 's', lifetimeMs: 60_000, ...options });
    expectCode(make({ lifetimeMs: 999 }), 'ERR_INVALID_ARGUMENT', 'lifetimeMs must be an integer in [1000, 86400000]');
    expectCode(make({ renewBeforeMs: 60_000 }), 'ERR_INVALID_ARGUMENT', 'renewBeforeMs must be an integer in [0, 59999]');
    for (const signatureLifetimeSeconds of [0, 86_401, 1.5])
      expectCode(make({ signatureLifetimeSeconds }), 'ERR_INVALID_ARGUMENT', 'signatureLifetimeSeconds must be an integer in [1, 86400]');
    for (const maxBodyBytes of [-1, 2 ** 31, 0.5]) expectCode(make({ maxBodyBytes }), 'ERR_INVALID_ARGUMENT', 'maxBodyBytes must be an integer in [0, 2147483647]');
    expectCode(make({ renewBeforeMs: null as never }), 'ERR_INVALID_ARGUMENT', 'renewBeforeMs must be an integer in [0, 59999]');
    for (const options of [{ lifetimeMs: 1000 }, { lifetimeMs: 86_400_000 }, { renewBeforeMs: 59_999 }, { signatureLifetimeSeconds: 1 }, { signatureLifetimeSeconds: 86_400 }, { maxBodyBytes: 0 }, { maxBodyBytes: 2 ** 31 - 1 }])
      expect(typeof make(options)(), JSON.stringify(options)).toBe('function');
    expectCode(() => createEapiFetch(null as never, { scope: 's', lifetimeMs: 60_000 }), 'ERR_INVALID_ARGUMENT', 'source must issue EAPIs (a client Channel or ClientSession)');
    expectCode(() => createEapiFetch('source' as never, { scope: 's', lifetimeMs: 60_000 }), 'ERR_INVALID_ARGUMENT', 'source must issue EAPIs (a client Channel or ClientSession)');
    expectCode(() => createEapiFetch(client, 'options' as never), 'ERR_INVALID_ARGUMENT', 'options must be an object');
    expectCode(make({ now: 'now' as never }), 'ERR_INVALID_ARGUMENT', 'now must be a function returning ms since the Unix epoch');
  });

  it('defaults: signatures live 60 s, the clock is Date.now, maxBodyBytes is 16 MiB', async () => {
    const { f, sent, verify } = await setup();
    await f('https://api.example.com/a', { method: 'POST', body: 'x' });
    const input = sent[0]!.headers.get('signature-input')!;
    const created = Number(/;created=(\d+);/.exec(input)![1]);
    expect(Number(/;expires=(\d+);/.exec(input)![1]) - created).toBe(60);
    expect(Math.abs(created * 1000 - Date.now())).toBeLessThan(60_000);
    await expect(verify(sent[0]!)).resolves.toMatchObject({ scope: 's' });
    const big = new Uint8Array(16 * 1024 * 1024 + 1);
    await expectCodeAsync(() => f('https://api.example.com/a', { method: 'POST', body: big }), 'ERR_PAYLOAD_TOO_LARGE', 'the request body is larger than maxBodyBytes (16777216 bytes): it must be read whole to be signed');
    expect(sent).toHaveLength(1);
  });

  it('maxBodyBytes 0: an empty body is still sent, one byte is refused', async () => {
    const { f, sent } = await setup({ maxBodyBytes: 0 });
    await f('https://api.example.com/a', { method: 'POST', body: '' });
    expect(sent[0]!.headers.get('content-digest')).toBeNull();
    await expectCodeAsync(() => f('https://api.example.com/a', { method: 'POST', body: 'x' }), 'ERR_PAYLOAD_TOO_LARGE', 'the request body is larger than maxBodyBytes (0 bytes): it must be read whole to be signed');
  });
});

describe('which EAPI signs', () => {
  it('the next one exactly when less than renewBeforeMs is left (default a quarter, rounded down); the old one is disposed', async () => {
    const { client } = await handshakePair(KEY);
    let now = T0;
    const { source, issued } = recordingSource(client);
    const f = createEapiFetch(source, { scope: 's', lifetimeMs: 4_003, now: () => now, fetch: async () => new Response('ok') });
    await f('https://api.example.com/a');
    expect(issued.map((e) => e.expiresAt)).toStrictEqual([T0 + 4_003]);
    now = T0 + 3_002; // 1,001 ms left, renewBeforeMs = floor(4003 / 4) = 1,000
    await f('https://api.example.com/a');
    expect(issued).toHaveLength(1);
    now = T0 + 3_003;
    await f('https://api.example.com/a');
    expect(issued.map((e) => e.expiresAt)).toStrictEqual([T0 + 4_003, T0 + 7_006]);
    expect(issued.map((e) => e.disposed)).toStrictEqual([true, false]);
    // A current EAPI disposed by someone else is replaced at once.
    issued[1]!.dispose();
    await f('https://api.example.com/a');
    expect(issued).toHaveLength(3);
    expect(issued[2]!.index).toBe(issued[1]!.index + 1);
  });

  it('renewBeforeMs given: renewal at expiresAt - renewBeforeMs', async () => {
    const { client } = await handshakePair(KEY);
    let now = T0;
    const { source, issued } = recordingSource(client);
    const f = createEapiFetch(source, { scope: 's', lifetimeMs: 10_000, renewBeforeMs: 9_999, now: () => now, fetch: async () => new Response('ok') });
    await f('https://api.example.com/a');
    now = T0 + 1;
    await f('https://api.example.com/a');
    expect(issued).toHaveLength(2);
  });

  it("an ended source whose issueEapi does not throw: ERR_SESSION_CLOSED, and the EAPI it issued is disposed", async () => {
    const { client } = await handshakePair(KEY);
    for (const state of ['closing', 'closed', 'disposed']) {
      const { source, issued } = recordingSource(client, state);
      const sent: Request[] = [];
      const f = createEapiFetch(source, { scope: 's', lifetimeMs: 60_000, now: () => T0, fetch: async (r) => (sent.push(r as Request), new Response('ok')) });
      await expectCodeAsync(() => f('https://api.example.com/a'), 'ERR_SESSION_CLOSED', 'the session is closing or closed: EAPIs end with it');
      expect(issued.map((e) => [e.expiresAt, e.disposed]), state).toStrictEqual([[T0 + 60_000, true]]);
      expect(sent).toHaveLength(0);
    }
    for (const state of ['open', 'established', undefined]) {
      const { source } = recordingSource(client, state);
      const f = createEapiFetch(source, { scope: 's', lifetimeMs: 60_000, fetch: async () => new Response('ok') });
      expect(await (await f('https://api.example.com/a')).text(), String(state)).toBe('ok');
    }
  });
});

describe('bodies and labels', () => {
  it('a stream body of several chunks is joined in order, digested and sent as those bytes', async () => {
    const { f, sent, verify } = await setup();
    const chunks = [Uint8Array.of(1, 2), Uint8Array.of(3), Uint8Array.of(4, 5, 6)];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(c);
        controller.close();
      },
    });
    await f('https://api.example.com/a', { method: 'POST', body, duplex: 'half' } as RequestInit);
    const request = sent[0]!;
    expect(new Uint8Array(await request.clone().arrayBuffer())).toStrictEqual(Uint8Array.of(1, 2, 3, 4, 5, 6));
    await expect(verify(request)).resolves.toMatchObject({ components: ['@method', '@authority', '@path', '@query', 'content-digest'] });
  });

  it('the first label sigN not in the request: sig3 after sig1 and sig2', async () => {
    const { f, sent } = await setup();
    await f('https://api.example.com/a', { headers: { 'Signature-Input': 'sig2=("@method"), sig1=("@path")', Signature: 'sig2=:AA==:, sig1=:AA==:' } });
    expect(sent[0]!.headers.get('signature-input')).toMatch(/^sig2=\("@method"\), sig1=\("@path"\), sig3=\(/);
    const error = await expectCodeAsync(() => f('https://api.example.com/a', { headers: { 'Signature-Input': 'a=(' } }), 'ERR_INVALID_ARGUMENT', 'the request has a Signature-Input header that is not a structured-field dictionary');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('a request that cannot be built: the cause is the platform error; an absolute URL is not called relative', async () => {
    const { f } = await setup();
    const error = await expectCodeAsync(() => f('https://api.example.com/a', { method: 'GET', body: 'x' }), 'ERR_INVALID_ARGUMENT', 'the request could not be built from input and init (as fetch would reject it)');
    expect(error.cause).toBeInstanceOf(TypeError);
    const relative = await expectCodeAsync(() => f('/a'), 'ERR_INVALID_ARGUMENT', 'the request URL is relative and this runtime has no location to resolve it against: give an absolute URL');
    expect(relative.cause).toBeInstanceOf(TypeError);
    await expectCodeAsync(() => f(new URL('https://api.example.com/a'), { method: 'bad method' }), 'ERR_INVALID_ARGUMENT', 'the request could not be built from input and init (as fetch would reject it)');
  });
});

describe('a runtime without Request.body (Firefox)', () => {
  const descriptor = Object.getOwnPropertyDescriptor(Request.prototype, 'body')!;
  const hideBody = () => Object.defineProperty(Request.prototype, 'body', { configurable: true, get: () => undefined });
  afterEach(() => {
    Object.defineProperty(Request.prototype, 'body', descriptor);
  });

  it('the body is read whole with arrayBuffer(), bounded, digested and sent', async () => {
    const { f, sent, verify } = await setup({ maxBodyBytes: 4 });
    hideBody();
    await f('https://api.example.com/a', { method: 'POST', body: 'abcd' });
    await expectCodeAsync(() => f('https://api.example.com/a', { method: 'POST', body: 'abcde' }), 'ERR_PAYLOAD_TOO_LARGE', 'the request body is larger than maxBodyBytes (4 bytes): it must be read whole to be signed');
    // An empty body without a content-type is no body; with one it is an empty body of that type.
    await f('https://api.example.com/a', { method: 'POST' });
    await f('https://api.example.com/a', { method: 'POST', body: '' });
    Object.defineProperty(Request.prototype, 'body', descriptor);
    expect(sent).toHaveLength(3);
    expect(sent[0]!.headers.get('content-digest')).not.toBeNull();
    await expect(verify(sent[0]!)).resolves.toMatchObject({ components: ['@method', '@authority', '@path', '@query', 'content-digest', 'content-type'] });
    expect(sent[1]!.headers.get('signature-input')).toMatch(/^sig1=\("@method" "@authority" "@path" "@query"\);/);
    expect(sent[1]!.body).toBeNull();
    expect(sent[2]!.headers.get('content-digest')).toBeNull();
    expect(sent[2]!.headers.get('signature-input')).toMatch(/^sig1=\("@method" "@authority" "@path" "@query" "content-type"\);/);
    expect(await sent[2]!.text()).toBe('');
  });
});
