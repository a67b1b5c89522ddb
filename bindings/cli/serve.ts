/** `e2e2 serve`: an E2-E2 server (echo, or a TCP tunnel with --forward; --demo serves the browser demo). */
import { BlockList, isIP, type AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { generateApiKey } from '../e2e2/api-key.js';
import { createServer, type E2E2Server, type ServerOptions } from '../channel/server.js';
import { openKeyStore, anyKeyStoreResolver } from '../fleet/keys.js';
import { RedisKeyStore, redactedUrl } from '../fleet/keystore.js';
import { RedisSessionRegistry } from '../fleet/session-registry.js';
import { RedisReplayStore } from '../fleet/replay-store.js';
import { IpcReplayStore, IpcSessionRegistry } from '../fleet/ipc.js';
import { MemoryReplayStore, MemorySessionRegistry } from '../e2e2/eapi-stores.js';
import { isServeWorker, reportWorkerReady, startWorkers, WORKER_ENV, type Primary } from './workers.js';
import { forwardTo } from '../channel/tunnel.js';
import type { Channel } from '../channel/channel.js';
import { httpRoutes } from './http.js';
import { createServer as createTcpServer } from '../net.js';
import { CliError, errorLine, packageRoot, parse, parseHostPort, parseInteger, parsePort, storeOption, storePath, usage } from './util.js';

/** The server limits as flags: flag -> ServerOptions field, all integers. */
const LIMIT_FLAGS: readonly { flag: string; option: keyof ServerOptions; unit: 'MS' | 'N' | 'BYTES'; min: number; max?: number; help: string }[] = [
  { flag: 'message1-timeout', option: 'message1TimeoutMs', unit: 'MS', min: 1, help: 'connection to message 1 [5000] (4003)' },
  { flag: 'handshake-timeout', option: 'handshakeTimeoutMs', unit: 'MS', min: 1, help: 'connection to the key confirmation [10000] (4003)' },
  { flag: 'max-pending', option: 'maxPendingHandshakes', unit: 'N', min: 1, help: 'handshakes in progress [1024] (4004)' },
  { flag: 'max-pending-per-address', option: 'maxPendingHandshakesPerAddress', unit: 'N', min: 1, help: 'the same from one address or IPv6 /64 [64]' },
  { flag: 'max-http-connections', option: 'maxHttpConnections', unit: 'N', min: 1, help: 'TCP connections not upgraded [512]' },
  { flag: 'max-http-connections-per-address', option: 'maxHttpConnectionsPerAddress', unit: 'N', min: 1, help: 'the same from one address [32]' },
  { flag: 'headers-timeout', option: 'headersTimeoutMs', unit: 'MS', min: 1, help: 'connection to the end of the headers [10000] (408)' },
  { flag: 'request-timeout', option: 'requestTimeoutMs', unit: 'MS', min: 1, help: 'connection to the end of a plain request [30000]' },
  { flag: 'max-message-bytes', option: 'maxMessageBytes', unit: 'BYTES', min: 1, max: 65535, help: 'largest WebSocket message [65535] (1009)' },
  { flag: 'max-fragments', option: 'maxFragments', unit: 'N', min: 1, help: 'frames per message [16] (1008)' },
  { flag: 'max-buffered-chunks', option: 'maxBufferedChunks', unit: 'N', min: 1, help: 'pieces of one unfinished frame [1024] (1008)' },
  { flag: 'readable-high-water-mark', option: 'readableHighWaterMark', unit: 'BYTES', min: 1, help: 'unread data per channel before reading pauses [1048576]' },
  { flag: 'writable-high-water-mark', option: 'writableHighWaterMark', unit: 'BYTES', min: 1, help: 'unsent data per channel before backpressure [1048576]' },
  { flag: 'keepalive-interval', option: 'keepaliveIntervalMs', unit: 'MS', min: 0, help: 'ping after this much silence [30000; 0 = off]' },
  { flag: 'keepalive-timeout', option: 'keepaliveTimeoutMs', unit: 'MS', min: 1, help: 'answer to a ping within [10000] (4008)' },
  { flag: 'close-timeout', option: 'closeTimeoutMs', unit: 'MS', min: 1, help: "wait for the peer's CLOSE, then its close frame [5000]" },
  { flag: 'max-session-age', option: 'maxSessionAgeMs', unit: 'MS', min: 0, help: 'end channels this old [0 = never] (4007)' },
  { flag: 'revocation-check-interval', option: 'revocationCheckIntervalMs', unit: 'MS', min: 0, help: 'recheck open channels\' keys [2000; 0 = off] (4006)' },
];

export const SERVE_HELP = `Usage: e2e2 serve [options]

Accepts E2-E2 clients over WebSocket and echoes every message back (default), or forwards each
channel to a TCP service (--forward). API keys come from the key store (e2e2 keys create).

Options:
  --host HOST              interface to listen on (default 127.0.0.1)
  --port PORT              port (default 8787; 0 = any free port)
  --forward HOST:PORT      tunnel each channel to this TCP service instead of echoing
  --tcp PORT               also accept E2-E2 over raw TCP (SPEC.md §7.8; e2e2 connect tcp://HOST:PORT)
                           on this port of --host, beside the WebSocket listener: same keys,
                           handler and limits (0 = any free port)
  --demo                   also serve the browser demo page at http://HOST:PORT/ with a fresh
                           in-memory demo key (valid while this process runs) that can only echo;
                           loopback --host only, not with --forward; the page and its key answer
                           only requests for this very origin (Host and Origin checked)
  --store PATH             key store file (default: $E2E2_KEY_STORE or ./e2e2-keys.json), or a
                           redis:// URL (the fleet's key store: e2e2 keys --store redis://...)
  --redis URL              fleet state on Redis (redis://HOST:PORT, rediss:// for TLS): the EAPI
                           session registry, the replay store and, unless --store says otherwise,
                           the key store; revocations close the key's channels on every server
  --workers N              run N worker processes (node:cluster) on the one port; they share the
                           EAPI state on Redis with --redis, else through the primary (one machine)
  --context TEXT           application context (clients must use the same: connect --context; default empty)
  --pq MODE                post-quantum handshake (E2-E2 v2-hybrid, X25519 + ML-KEM-768): accept
                           (default: either handshake), require (v1 clients are refused, 4010), refuse
  -h, --help               this help

Limits (README "Limits"; defaults in brackets; MS = milliseconds, 0 = off where noted):
${LIMIT_FLAGS.map((f) => `  --${f.flag} ${f.unit}`.padEnd(45) + f.help).join('\n')}
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


export async function serveCommand(args: string[], out: (line: string) => void, log: (line: string) => void): Promise<E2E2Server | Primary | undefined> {
  const { values } = parse(
    args,
    {
      ...storeOption,
      host: { type: 'string' },
      port: { type: 'string' },
      forward: { type: 'string' },
      tcp: { type: 'string' },
      demo: { type: 'boolean' },
      context: { type: 'string' },
      pq: { type: 'string' },
      redis: { type: 'string' },
      workers: { type: 'string' },
      ...Object.fromEntries(LIMIT_FLAGS.map((f) => [f.flag, { type: 'string' as const }])),
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
  const tcpPort = values.tcp === undefined ? undefined : parsePort(values.tcp, '--tcp');
  // The demo key is public to every page the local browser opens: keep it off the network and out of tunnels.
  if (values.demo && !isLoopback(host)) throw usage('--demo hands its API key to local browser pages: --host must be a loopback address (127.0.0.0/8, ::1 or localhost)');
  if (values.demo && forward) throw usage('--demo cannot be combined with --forward: the demo key must only reach the echo handler');
  const pq = values.pq;
  if (pq !== undefined && pq !== 'accept' && pq !== 'require' && pq !== 'refuse') throw usage('--pq must be accept, require or refuse');
  const workers = values.workers === undefined ? undefined : parseInteger(values.workers, '--workers', 1, 256);
  if (workers !== undefined && values.demo) throw usage('--demo cannot be combined with --workers: the demo key lives in one process');
  const redisUrl = values.redis;
  if (redisUrl !== undefined && !/^rediss?:\/\/[^\s]+$/i.test(redisUrl)) throw usage('--redis must be a redis:// or rediss:// URL');
  for (const f of LIMIT_FLAGS) {
    const value = (values as Record<string, string | boolean | undefined>)[f.flag];
    if (typeof value === 'string') parseInteger(value, `--${f.flag}`, f.min, f.max);
  }
  if (workers !== undefined && !isServeWorker()) {
    // The primary: every check above ran here once; the workers run this same command.
    return startWorkers(workers, { sharedThroughPrimary: redisUrl === undefined, out, log });
  }
  const worker = isServeWorker() ? process.env[WORKER_ENV] : undefined;
  if (worker !== undefined) {
    const print = log;
    log = (line) => print(`worker ${worker}: ${line}`);
  }
  // --redis: keys on the same Redis unless --store names another store.
  const store = values.store === undefined && redisUrl !== undefined ? new RedisKeyStore(redisUrl) : openKeyStore(storePath(values.store));
  const fromStore = anyKeyStoreResolver(store);
  const where = store instanceof RedisKeyStore ? store.location : store.path;
  // --tcp alone: both listeners get one in-memory registry and replay store, so a session opened
  // over TCP signs requests that the HTTP routes beside the WebSocket listener verify.
  const shareInMemory = tcpPort !== undefined;
  const sessions =
    redisUrl !== undefined ? new RedisSessionRegistry(redisUrl, { onError: (error) => log(`Redis: ${errorLine(error)}`) })
    : worker !== undefined ? new IpcSessionRegistry(process)
    : shareInMemory ? new MemorySessionRegistry()
    : undefined;
  const replay = redisUrl !== undefined ? new RedisReplayStore(redisUrl) : worker !== undefined ? new IpcReplayStore(process) : shareInMemory ? new MemoryReplayStore() : undefined;
  const closeStores = async () => {
    await Promise.all([sessions?.close(), replay?.close(), store instanceof RedisKeyStore ? store.close() : undefined]);
  };
  if (redisUrl !== undefined || store instanceof RedisKeyStore) {
    // A misconfigured URL fails here, once, rather than every handshake and request later.
    try {
      await Promise.all([store instanceof RedisKeyStore ? store.ready() : undefined, sessions instanceof RedisSessionRegistry ? sessions.ready() : undefined]);
    } catch (error) {
      await closeStores();
      throw new CliError(`cannot reach Redis at ${redactedUrl(redisUrl ?? where)}: ${errorLine(error)}`);
    }
  }
  // --demo: one extra key that lives only in this process and is handed to the demo page.
  const demoKey = values.demo ? generateApiKey() : undefined;
  let server: E2E2Server | undefined;
  let stopping = false;
  const options: ServerOptions = {
    host,
    port,
    ...(values.context === undefined ? {} : { context: values.context }),
    ...(pq === undefined ? {} : { postQuantum: pq }),
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
    ...(sessions ? { eapiSessions: sessions } : {}),
    ...(replay ? { eapiReplay: replay } : {}),
  };
  for (const f of LIMIT_FLAGS) {
    const value = (values as Record<string, string | boolean | undefined>)[f.flag];
    if (typeof value === 'string') (options as unknown as Record<string, number>)[f.option] = parseInteger(value, `--${f.flag}`, f.min, f.max);
  }

  const onChannel = (channel: Channel) => {
    log(`channel open   key ${channel.keyId} session ${short(channel.sessionId)}`);
    void channel.closed.then((info) =>
      // Our own shutdown (SIGINT/SIGTERM) closes channels with 1001 before every peer's CLOSE record can arrive: not a truncation.
      log(`channel closed key ${channel.keyId} session ${short(channel.sessionId)}: ${info.code}${stopping ? ' server shutting down' : info.error ? ` ${errorLine(info.error)}` : ''}; ${channel.bytesReceived} bytes in, ${channel.bytesSent} out`),
    );
  };
  try {
    server = await createServer({ ...options, allowHalfOpen: forward !== undefined, onChannel: channelHandler(forward ? forwardTo(forward) : echo, demoKey?.keyId) });
  } catch (error) {
    await closeStores();
    throw error;
  }
  // "localhost" may resolve to anything (/etc/hosts): check what was bound before anyone can connect.
  if (demoKey && !isLoopback((server.httpServer.address() as AddressInfo).address)) {
    await server.close();
    throw new CliError(`--demo: --host ${host} is not a loopback address on this machine`, 2);
  }
  // --tcp: the TCP binding beside the WebSocket listener, with the same keys, handler and limits;
  // the returned server's close() closes both.
  let tcpServer: E2E2Server | undefined;
  if (tcpPort !== undefined) {
    const { httpHandler: _http, ...tcpOptions } = options;
    try {
      tcpServer = await createTcpServer({ ...tcpOptions, port: tcpPort, allowHalfOpen: forward !== undefined, onChannel: channelHandler(forward ? forwardTo(forward) : echo, demoKey?.keyId) });
    } catch (error) {
      await server.close();
      await closeStores();
      throw error;
    }
  }
  const closeServer = server.close.bind(server);
  let stopRevocations: (() => Promise<void>) | undefined;
  server.close = async () => {
    stopping = true;
    await stopRevocations?.();
    await Promise.all([closeServer(), tcpServer?.close()]);
    await closeStores();
  };
  if (store instanceof RedisKeyStore) {
    // A key revoked anywhere (e2e2 keys revoke --store redis://...) closes its channels here at once.
    const targets = tcpServer ? [server, tcpServer] : [server];
    stopRevocations = await store.onRevoked((keyId) => {
      const closed = targets.reduce((sum, target) => sum + target.revokeKey(keyId), 0);
      if (closed > 0) log(`key ${keyId} revoked: closed ${closed} channel${closed === 1 ? '' : 's'}`);
    });
  }
  for (const listening of tcpServer ? [server, tcpServer] : [server]) {
    listening.on('channel', onChannel);
    listening.on('error', (error, info) => log(`error${info.channel ? ` in channel ${short(info.channel.sessionId)}` : ''}: ${errorLine(error)}${error.cause instanceof Error ? ` (${errorLine(error.cause)})` : ''}`));
  }
  // A server nobody can connect to should say so (on stderr, where the log goes), not start silently.
  if (!(store instanceof RedisKeyStore) && !existsSync(store.path)) log(`warning: no key store at ${store.path}: no client can connect until you run "e2e2 keys create --store ${store.path}"${demoKey ? ' (the demo key still works)' : ''}`);
  else if (!(await store.list()).some((key) => !key.revoked)) log(`warning: the key store ${where} has no valid keys: no client can connect until you run "e2e2 keys create --store ${where}"${demoKey ? ' (the demo key still works)' : ''}`);
  const line = `e2e2 serve: listening on ${server.url} (${forward ? `forwarding to ${forward.host}:${forward.port}` : 'echo'}; keys from ${where}${redisUrl !== undefined ? `; EAPI state on ${redactedUrl(redisUrl)}` : ''})`;
  if (worker !== undefined) reportWorkerReady(server.url, line);
  else out(line);
  if (tcpServer && worker === undefined) out(`e2e2 serve: listening on ${tcpServer.url} (TCP binding)`);
  if (demoKey) out(`demo page: http://${host.includes(':') ? `[${host}]` : host}:${server.port}/  (demo key ${demoKey.keyId})`);
  return server;
}
