// Deno: Deno.serve answering only EAPI-signed requests (e2e2/http eapiHandler, RFC 9421 profile,
// SPEC.md §8.6), the E2-E2 WebSocket server whose sessions it verifies (e2e2/server, through Deno's
// Node compatibility), and a client signing fetch() with EAPIs of its channel (createEapiFetch).
// Run: deno run --allow-net --allow-read --allow-env examples/deno/app.mjs
import { createEapiFetch, generateApiKey, MemoryReplayStore } from 'e2e2';
import { createServer } from 'e2e2/server';
import { connect } from 'e2e2/channel';
import { eapiHandler } from 'e2e2/http';

const key = generateApiKey(); // in production: `e2e2 keys create`, and a KeyStore on the server
const channels = await createServer({
  keys: (id) => (id === key.keyId ? key.secret : undefined),
  host: '127.0.0.1',
  port: 0,
  onChannel: (channel) => void channel.send('ready'), // the session is registered: its EAPIs verify
});
const verified = eapiHandler(
  { sessions: channels.eapiSessions, replay: new MemoryReplayStore(), requiredScope: 'orders:write' },
  async (request, claims) => Response.json({ scope: claims.scope, order: await request.json() }),
);
const api = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, verified);
const orders = `http://127.0.0.1:${api.addr.port}/orders`;

const channel = await connect(channels.url, { apiKey: key.token });
await channel[Symbol.asyncIterator]().next(); // 'ready'
const signedFetch = createEapiFetch(channel, { scope: 'orders:write', lifetimeMs: 60_000 });
const ok = await signedFetch(orders, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ item: 'tea', qty: 2 }) });
console.log(`Deno.serve, signed POST: ${ok.status} ${JSON.stringify(await ok.json())}`);
const unsigned = await fetch(orders, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
console.log(`Deno.serve, unsigned POST: ${unsigned.status} ${(await unsigned.json()).code}`);

await channel.close();
await api.shutdown();
await channels.close();
