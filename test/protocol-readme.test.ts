/** The README's client/server and EAPI example, run as written (so the documentation cannot rot). */
import { expect, it } from 'vitest';
import { createClientHandshake, createServerHandshake, generateApiKey, parseEapiAuthorization } from '../bindings/index.js';

it('README example: handshake, records, rekey, EAPI, close, dispose', async () => {
  const { keyId, secret, token } = generateApiKey();
  const client = createClientHandshake({ apiKey: token });
  const message1 = client.writeMessage1();
  const server = createServerHandshake({ resolveKey: async (id) => (id === keyId ? secret : undefined) });
  const { message2, session: s } = await server.respond(message1);
  const c = client.readMessage2(message2);
  expect(c.sessionId).toBe(s.sessionId);

  expect(s.open(c.seal(new TextEncoder().encode('hello')))).toEqual({ type: 'data', data: new TextEncoder().encode('hello') });
  expect(s.state).toBe('established');
  expect(c.open(s.seal(new TextEncoder().encode('hi'))).type).toBe('data');
  expect(c.open(s.rekey())).toEqual({ type: 'rekey', data: new Uint8Array(0) });

  const now = Date.now();
  const eapi = c.issueEapi({ scope: 'orders:read', expiresAt: now + 60_000 });
  const authorization = eapi.sign({ method: 'GET', path: '/orders?page=2', timestamp: now });
  expect(parseEapiAuthorization(authorization).sessionId).toBe(s.sessionId);
  expect(s.verifyEapi({ authorization, method: 'GET', path: '/orders?page=2', now: now + 3, requiredScope: 'orders:read' })).toEqual({
    sessionId: s.sessionId,
    index: 0,
    scope: 'orders:read',
    expiresAt: now + 60_000,
    timestamp: now,
  });

  expect(s.open(c.close())).toEqual({ type: 'close' });
  expect(() => s.verifyEapi({ authorization, method: 'GET', path: '/orders?page=2', now, requiredScope: 'orders:read' })).toThrow(
    expect.objectContaining({ code: 'ERR_SESSION_CLOSED' }),
  );
  c.dispose();
  s.dispose();
  expect([c.state, s.state]).toEqual(['disposed', 'disposed']);
});
