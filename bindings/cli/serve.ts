/** `e2e2 serve`: an E2-E2 server (echo, or a TCP tunnel with --forward; --demo serves the browser demo). */
import { generateApiKey } from '../e2e2/api-key.js';
import { openKeyStore, keyStoreResolver } from '../channel/keys.js';
import { createServer, type E2E2Server, type ServerOptions } from '../channel/server.js';
import { createForwardServer } from '../channel/tunnel.js';
import type { Channel } from '../channel/channel.js';
import { httpRoutes } from './http.js';
import { errorLine, packageRoot, parse, parseHostPort, parsePort, storeOption, storePath } from './util.js';

export const SERVE_HELP = `Usage: e2e2 serve [options]

Accepts E2-E2 clients over WebSocket and echoes every message back (default), or forwards each
channel to a TCP service (--forward). API keys come from the key store (e2e2 keys create).

Options:
  --host HOST              interface to listen on (default 127.0.0.1)
  --port PORT              port (default 8787; 0 = any free port)
  --forward HOST:PORT      tunnel each channel to this TCP service instead of echoing
  --demo                   also serve the browser demo page at http://HOST:PORT/ with a fresh
                           in-memory demo key (valid while this process runs)
  --handshake-timeout MS   (default 10000)
  --max-pending N          handshakes in progress before new ones get 4004 (default 1024)
  --store PATH             key store file (default: $E2E2_KEY_STORE or ./e2e2-keys.json)
  -h, --help               this help
`;

function short(id: string): string {
  return id.slice(0, 12);
}

/** Echo every message back until the client ends; a client that does not read slows its own echo down (backpressure). */
export async function echo(channel: Channel): Promise<void> {
  for await (const message of channel) {
    if (!channel.writable) break;
    if (!channel.send(message)) await channel.drained();
  }
}

export async function serveCommand(args: string[], out: (line: string) => void, log: (line: string) => void): Promise<E2E2Server | undefined> {
  const { values } = parse(
    args,
    {
      ...storeOption,
      host: { type: 'string' },
      port: { type: 'string' },
      forward: { type: 'string' },
      demo: { type: 'boolean' },
      'handshake-timeout': { type: 'string' },
      'max-pending': { type: 'string' },
    },
    false,
  );
  if (values.help) {
    out(SERVE_HELP);
    return undefined;
  }
  const host = values.host ?? '127.0.0.1';
  const port = parsePort(values.port, '--port', 8787);
  const forward = values.forward === undefined ? undefined : parseHostPort(values.forward, '--forward');
  const store = openKeyStore(storePath(values.store));
  const fromStore = keyStoreResolver(store);
  // --demo: one extra key that lives only in this process and is handed to the demo page.
  const demoKey = values.demo ? generateApiKey() : undefined;
  let server: E2E2Server | undefined;
  const options: ServerOptions = {
    host,
    port,
    keys: (keyId) => (demoKey && keyId === demoKey.keyId ? demoKey.secret.slice() : fromStore(keyId)),
    httpHandler: httpRoutes(
      () => server!,
      demoKey && { root: packageRoot(), config: () => ({ url: server!.url, apiKey: demoKey.token, keyId: demoKey.keyId }) },
    ),
    onHandshakeError: (error, info) => log(`handshake failed from ${info.remoteAddress ?? '?'}: ${errorLine(error)}`),
  };
  if (values['handshake-timeout'] !== undefined) options.handshakeTimeoutMs = parsePort(values['handshake-timeout'], '--handshake-timeout');
  if (values['max-pending'] !== undefined) options.maxPendingHandshakes = parsePort(values['max-pending'], '--max-pending');

  const onChannel = (channel: Channel) => {
    log(`channel open   key ${channel.keyId} session ${short(channel.sessionId)}`);
    void channel.closed.then((info) =>
      log(`channel closed key ${channel.keyId} session ${short(channel.sessionId)}: ${info.code}${info.error ? ` ${errorLine(info.error)}` : ''}; ${channel.bytesReceived} bytes in, ${channel.bytesSent} out`),
    );
  };
  server = forward ? await createForwardServer(forward, options) : await createServer({ ...options, onChannel: echo });
  server.on('channel', onChannel);
  out(`e2e2 serve: listening on ${server.url} (${forward ? `forwarding to ${forward.host}:${forward.port}` : 'echo'}; keys from ${store.path})`);
  if (demoKey) out(`demo page: http://${host.includes(':') ? `[${host}]` : host}:${server.port}/  (demo key ${demoKey.keyId})`);
  return server;
}
