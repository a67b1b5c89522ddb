// A Node (also Bun and Deno) E2-E2 server and client in one script: an API key, a server that
// echoes, a client that connects (X25519 + the API key: K1, K2, K3), sends, reads the echo and
// closes cleanly. Run: node examples/node/echo.mjs   (add --pq for the post-quantum handshake)
import { generateApiKey } from 'e2e2';
import { createServer } from 'e2e2/server';
import { connect } from 'e2e2/channel';

const postQuantum = process.argv.includes('--pq');
const key = generateApiKey(); // in production: `e2e2 keys create`, and a KeyStore on the server
const server = await createServer({
  keys: (keyId) => (keyId === key.keyId ? key.secret : undefined),
  port: 0, // any free port on 127.0.0.1
  async onChannel(channel) {
    for await (const message of channel) if (!channel.send(message)) await channel.drained();
  },
});

const channel = await connect(server.url, { apiKey: key.token, postQuantum });
const replies = channel[Symbol.asyncIterator]();
channel.send(new TextEncoder().encode('hello over E2-E2'));
const { value } = await replies.next();
console.log(`echo: ${new TextDecoder().decode(value)} (session ${channel.sessionId.slice(0, 12)}, post-quantum: ${channel.postQuantum})`);
const closed = await channel.close();
console.log(`closed: ${closed.code}`);
await server.close();
