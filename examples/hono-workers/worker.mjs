// A Hono app on Cloudflare Workers verifying EAPI-signed requests (RFC 9421 profile, SPEC.md §8.6, e2e2/http).
// The E2-E2 channels end at a Node e2e2 server (see run.mjs); this Worker holds no session: it asks
// that server's session registry and replay store over HTTP for every request (remote-stores.mjs).
// Bindings (wrangler: [vars] and a secret): REGISTRY_URL, REGISTRY_TOKEN. Run: node examples/hono-workers/run.mjs
import { Hono } from 'hono';
import { checkEapiRequest } from 'e2e2/http';
import { remoteStores } from './remote-stores.mjs';

const app = new Hono();

app.use('/api/*', async (c, next) => {
  const check = await checkEapiRequest(c.req.raw, {
    ...remoteStores(c.env), // { sessions, replay }
    requiredScope: 'orders:write',
    policy: { maxLifetimeMs: 5 * 60_000 },
    onFailure: (error) => console.warn(`refused: ${error.code} (${error.cause?.reason ?? error.message})`), // the reason is only here
  });
  if (!check.ok) return check.response; // 401/403/413/503 application/problem+json
  c.set('eapi', check.claims);
  await next();
});

app.post('/api/orders', async (c) => {
  const { scope, sessionId } = c.get('eapi');
  return c.json({ ok: true, scope, session: sessionId, order: await c.req.json() });
});

export default app;
