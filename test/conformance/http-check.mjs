/**
 * e2e2/http in any runtime with WHATWG fetch types (Node, Bun, Deno, workerd): an in-memory
 * handshake, its session registered by EAPI root, and eapiHandler answering real Request objects:
 * a signed POST (200, the handler reads the body), the same again (401 ERR_EAPI_REPLAYED), an
 * unsigned one (401, problem+json, WWW-Authenticate), a CORS preflight (204) and a body over the
 * limit (413). Plain JavaScript, imported by http-run.mjs and by the Worker of
 * test/runtime-workerd.test.ts. It never throws: every check reports { name, ok, detail }.
 */

export async function runHttpCheck({ e2e2, http }) {
  const results = [];
  const check = async (name, fn) => {
    try {
      await fn();
      results.push({ name, ok: true });
    } catch (err) {
      results.push({ name, ok: false, detail: String(err?.stack ?? err) });
    }
  };
  const expectEqual = (what, actual, expected) => {
    if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  };

  const key = e2e2.generateApiKey();
  const c = e2e2.createClientHandshake({ apiKey: key.token });
  const s = e2e2.createServerHandshake({ resolveKey: (id) => (id === key.keyId ? key.secret : undefined) });
  const { message2, session: server } = await s.respond(c.writeMessage1());
  const client = c.readMessage2(message2);
  server.open(client.seal(new Uint8Array(0)));
  const sessions = new e2e2.MemorySessionRegistry();
  const root = server.exportEapiRoot();
  await sessions.register(server.sessionId, { eapiRoot: root, keyId: key.keyId, expiresAt: Date.now() + 600_000 });
  root.fill(0);
  const origin = 'https://app.example.test';
  const handler = http.eapiHandler(
    { sessions, replay: new e2e2.MemoryReplayStore(), requiredScope: 'orders:write', maxBodyBytes: 1024, cors: { origins: [origin] } },
    async (request, claims) => Response.json({ scope: claims.scope, body: await request.text() }),
  );
  const url = 'https://api.example.test/orders?dry-run=1';
  const headers = { 'content-type': 'application/json', origin };
  const eapi = client.issueEapi({ scope: 'orders:write', expiresAt: Date.now() + 60_000 });
  const signed = (body) => new Request(url, { method: 'POST', headers: { ...headers, ...e2e2.signEapiHttpRequest(eapi, { method: 'POST', url, headers, body }) }, body });

  await check('e2e2/http: a signed POST is 200 and the handler reads the body', async () => {
    const request = signed('{"qty":2}');
    const response = await handler(request);
    expectEqual('status', response.status, 200);
    expectEqual('json', await response.json(), { scope: 'orders:write', body: '{"qty":2}' });
    expectEqual('allow-origin', response.headers.get('access-control-allow-origin'), origin);
    const replayed = await handler(new Request(url, { method: 'POST', headers: request.headers, body: '{"qty":2}' }));
    expectEqual('replay', [replayed.status, (await replayed.json()).code], [401, 'ERR_EAPI_REPLAYED']);
  });
  await check('e2e2/http: an unsigned POST is 401 problem+json with the challenge', async () => {
    const response = await handler(new Request(url, { method: 'POST', headers, body: '{}' }));
    expectEqual('status', response.status, 401);
    expectEqual('content-type', response.headers.get('content-type'), 'application/problem+json');
    expectEqual('challenge', response.headers.get('www-authenticate'), 'Signature tag="e2e2-eapi/v1"');
    expectEqual('code', (await response.json()).code, 'ERR_AUTHENTICATION_FAILED');
  });
  await check('e2e2/http: a preflight is 204 and a body over maxBodyBytes is 413', async () => {
    const preflight = await handler(new Request(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } }));
    expectEqual('preflight', [preflight.status, preflight.headers.get('access-control-allow-headers')], [204, 'signature, signature-input, content-digest, content-type']);
    const big = await handler(signed(JSON.stringify({ pad: 'x'.repeat(1024) })));
    expectEqual('too large', [big.status, (await big.json()).code], [413, 'ERR_BODY_TOO_LARGE']);
  });
  return results;
}
