/** `e2e2 serve`: an E2-E2 server (echo, or a TCP tunnel with --forward; --demo serves the browser demo). */
import { BlockList, isIP, type AddressInfo } from 'node:net';
import { generateApiKey } from '../e2e2/api-key.js';
import { openKeyStore, keyStoreResolver } from '../channel/keys.js';
import { createServer, type E2E2Server, type ServerOptions } from '../channel/server.js';
import { forwardTo } from '../channel/tunnel.js';
import type { Channel } from '../channel/channel.js';
import { httpRoutes } from './http.js';
import { CliError, errorLine, packageRoot, parse, parseHostPort, parsePort, storeOption, storePath, usage } from './util.js';

export const SERVE_HELP = `Usage: e2e2 serve [options]

Accepts E2-E2 clients over WebSocket and echoes every message back (default), or forwards each
channel to a TCP service (--forward). API keys come from the key store (e2e2 keys create).

Options:
  --host HOST              interface to listen on (default 127.0.0.1)
  --port PORT              port (default 8787; 0 = any free port)
  --forward HOST:PORT      tunnel each channel to this TCP service instead of echoing
  --demo                   also serve the browser demo page at http://HOST:PORT/ with a fresh
                           in-memory demo key (valid while this process runs) that can only echo;
                           loopback --host only, not with --forward; the page and its key answer
                           only requests for this very origin (Host and Origin checked)
  --handshake-timeout MS   (default 10000)
  --max-pending N          handshakes in progress before new ones get 4004 (default 1024)
  --store PATH             key store file (default: $E2E2_KEY_STORE or ./e2e2-keys.json)
  -h, --help               this help
`;

function short(id: string): string {
  return id.slice(0, 12);
}

/** Echo every message back until the client ends, then end too (also on a half-open server). A client that does not read slows its own echo down (backpressure). */
export async function echo(channel: Channel): Promise<void> {
  for await (const message of channel) {
    if (!channel.writable) break;
    if (!channel.send(message)) await channel.drained();
  }
  channel.end();
}

type ChannelHandler = (channel: Channel) => Promise<void>;

/**
 * The handler each channel gets. The demo key is handed to browser pages, so its channels only
 * ever echo, whatever `mode` this server runs (checked here, by key id, for every channel).
 */
export function channelHandler(mode: ChannelHandler, demoKeyId: string | undefined): ChannelHandler {
  return (channel) => (demoKeyId !== undefined && channel.keyId === demoKeyId ? echo(channel) : mode(channel));
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** 127.0.0.0/8, ::1 (in any spelling, also IPv4-mapped) or the name localhost. */
export function isLoopback(host: string): boolean {
  const family = isIP(host);
  if (family === 0) return host.toLowerCase() === 'localhost';
  return LOOPBACK.check(host, family === 6 ? 'ipv6' : 'ipv4');
}

/** The Host header values that name this server: its address and port, and localhost:port on 127.0.0.1 or ::1. */
function ownAuthorities(address: AddressInfo): string[] {
  const names = [address.family === 'IPv6' ? `[${address.address}]` : address.address];
  if (address.address === '127.0.0.1' || address.address === '::1') names.push('localhost');
  // Browsers leave out the default port.
  return names.flatMap((name) => (address.port === 80 ? [`${name}:80`, name] : [`${name}:${address.port}`]));
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
  // The demo key is public to every page the local browser opens: keep it off the network and out of tunnels.
  if (values.demo && !isLoopback(host)) throw usage('--demo hands its API key to local browser pages: --host must be a loopback address (127.0.0.0/8, ::1 or localhost)');
  if (values.demo && forward) throw usage('--demo cannot be combined with --forward: the demo key must only reach the echo handler');
  const store = openKeyStore(storePath(values.store));
  const fromStore = keyStoreResolver(store);
  // --demo: one extra key that lives only in this process and is handed to the demo page.
  const demoKey = values.demo ? generateApiKey() : undefined;
  let server: E2E2Server | undefined;
  const options: ServerOptions = {
    host,
    port,
    // The server only reads what a resolver returns (the handshake copies it), so the demo secret is handed out as is.
    keys: (keyId) => (demoKey && keyId === demoKey.keyId ? demoKey.secret : fromStore(keyId)),
    httpHandler: httpRoutes(
      () => server!,
      demoKey && {
        root: packageRoot(),
        authorities: () => ownAuthorities(server!.httpServer.address() as AddressInfo),
        config: () => ({ url: server!.url, apiKey: demoKey.token, keyId: demoKey.keyId }),
      },
      (error) => log(`HTTP request failed: ${errorLine(error)}`),
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
  server = await createServer({ ...options, allowHalfOpen: forward !== undefined, onChannel: channelHandler(forward ? forwardTo(forward) : echo, demoKey?.keyId) });
  // "localhost" may resolve to anything (/etc/hosts): check what was bound before anyone can connect.
  if (demoKey && !isLoopback((server.httpServer.address() as AddressInfo).address)) {
    await server.close();
    throw new CliError(`--demo: --host ${host} is not a loopback address on this machine`, 2);
  }
  server.on('channel', onChannel);
  out(`e2e2 serve: listening on ${server.url} (${forward ? `forwarding to ${forward.host}:${forward.port}` : 'echo'}; keys from ${store.path})`);
  if (demoKey) out(`demo page: http://${host.includes(':') ? `[${host}]` : host}:${server.port}/  (demo key ${demoKey.keyId})`);
  return server;
}
