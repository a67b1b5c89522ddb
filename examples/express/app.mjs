// Express verifying EAPI-signed requests (RFC 9421, e2e2/http) next to the E2-E2 WebSocket server
// on the same port, and a client that signs fetch() with createEapiFetch. Run: node examples/express/app.mjs
import express from 'express';
import { createEapiFetch, generateApiKey, MemoryReplayStore } from 'e2e2';
import { createServer } from 'e2e2/server';
import { connect } from 'e2e2/channel';
import { eapiMiddleware } from 'e2e2/http';

const key = generateApiKey();
const app = express();
const http = await new Promise((resolve) => {
  const s = app.listen(0, '127.0.0.1', () => resolve(s));
});
const port = http.address().port;
// The WebSocket side: each authenticated session is registered in channels.eapiSessions.
const channels = await createServer({ keys: (id) => (id === key.keyId ? key.secret : undefined), server: http, path: '/e2e2' });
channels.on('channel', (channel) => channel.send(new TextEncoder().encode('ready')));

app.use('/api', eapiMiddleware({ sessions: channels.eapiSessions, replay: new MemoryReplayStore(), requiredScope: 'orders:write' }));
app.post('/api/orders', (req, res) => {
  res.json({ ok: true, scope: req.eapi.scope, order: JSON.parse(req.rawBody.toString()) });
});

// The client: one channel, then ordinary fetch() calls signed with EAPIs derived from its K3.
const channel = await connect(`ws://127.0.0.1:${port}/e2e2`, { apiKey: key.token });
await channel[Symbol.asyncIterator]().next(); // 'ready': the server holds the session
const signedFetch = createEapiFetch(channel, { scope: 'orders:write', lifetimeMs: 60_000 });
const ok = await signedFetch(`http://127.0.0.1:${port}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ item: 'tea', qty: 2 }) });
console.log(`signed POST: ${ok.status} ${JSON.stringify(await ok.json())}`);
const unsigned = await fetch(`http://127.0.0.1:${port}/api/orders`, { method: 'POST', body: '{}' });
console.log(`unsigned POST: ${unsigned.status} ${(await unsigned.json()).code}`);

await channel.close();
await channels.close();
await new Promise((resolve) => http.close(resolve));
