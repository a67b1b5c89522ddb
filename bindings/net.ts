/**
 * `e2e2/net` (Node): E2-E2 over raw TCP (SPEC.md §7.8), the `node:tls`-shaped transport.
 *
 *   const server = await createServer({ keys, port: 7000, onChannel: (channel) => ... });
 *   const channel = await connect({ host: '127.0.0.1', port: 7000, apiKey });
 *   pipeline(source, channelDuplex(channel), sink);   // a Duplex, as tls.connect() gives
 *
 * Each handshake message and record is one SPEC.md §7.4 frame (u16be length || bytes). The
 * channel, the handshake, the limits, the key store and the EAPI registry are the WebSocket
 * binding's own (the same Channel and E2E2Server code over a framed socket): the server has the
 * same events, stats and methods, and every failure is the same typed error. What differs is
 * what the peer sees: TCP carries no close code, so a peer learns only "clean" (both CLOSE
 * records, then FIN) or "not clean" (ERR_CONNECTION_CLOSED, code 1006).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { ConnectionClosedError, HandshakeTimeoutError, InvalidArgumentError } from './errors.js';
import type { Channel } from './channel/channel.js';
import { clientSetup, runClientHandshake, type ClientHandshakeRun, type ConnectOptions } from './channel/client.js';
import { E2E2Server, type ServerOptions } from './channel/server.js';
import { adaptTcpSocket } from './channel/tcp-socket.js';

export { E2E2Server, type ServerStats, type ServerErrorInfo, type ErrorListener, type VerifiedRequest } from './channel/server.js';
export { Channel, MAX_RECORD_DATA_BYTES, type CloseInfo, type MessageListener, type CloseListener, type VoidListener } from './channel/channel.js';
export { channelDuplex, type ChannelDuplexOptions } from './channel/duplex.js';
export { CloseCode, type CloseCodeValue } from './channel/close-codes.js';
export { KeyStore } from './channel/keystore.js';
export type { ConnectTraceEvent } from './channel/client.js';
export type { ChannelWebStreams, WebStreamsOptions } from './channel/web-streams.js';

/** Options of the TCP server: the WebSocket server's, without those about HTTP and WebSocket frames. */
export type TcpServerOptions = Omit<
  ServerOptions,
  'server' | 'httpHandler' | 'path' | 'maxFragments' | 'maxBufferedChunks' | 'maxHttpConnections' | 'maxHttpConnectionsPerAddress' | 'headersTimeoutMs' | 'requestTimeoutMs'
>;

/** Options of connect() over TCP: where to connect, and the WebSocket client's options (without the WebSocket). */
export interface TcpConnectOptions extends Omit<ConnectOptions, 'WebSocket'> {
  /** The server's host name or address. Default 127.0.0.1. */
  host?: string;
  /** The server's TCP port. */
  port: number;
  /** Local address to connect from (for several sources on one machine). */
  localAddress?: string;
}

/**
 * Listen for E2-E2 over TCP on `host:port` (default 127.0.0.1, any free port: see `server.port`).
 * Resolves once listening, with the same server class as `e2e2/server` ('channel' and 'error'
 * events, stats, revokeKey, verifyRequest, close); `server.url` is tcp://host:port and
 * `server.httpServer` throws (there is none).
 */
export async function createServer(options: TcpServerOptions): Promise<E2E2Server> {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object');
  for (const key of ['server', 'httpHandler', 'path'] as const) {
    if ((options as ServerOptions)[key] !== undefined) throw new InvalidArgumentError(`${key} is an option of the WebSocket server (e2e2/server), not of e2e2/net`);
  }
  const server = new E2E2Server(options, 'tcp');
  await server.listen();
  return server;
}

/**
 * Connect over TCP and run the handshake (the same code as the WebSocket client, SPEC.md §5);
 * resolves with the established Channel. `channelDuplex(channel)` makes it a Node Duplex.
 * Rejects with a typed error: ERR_CONNECTION_CLOSED when the connection cannot be opened or the
 * server ends it, ERR_HANDSHAKE_TIMEOUT, ERR_AUTHENTICATION_FAILED for a wrong or unknown key.
 */
export async function connect(options: TcpConnectOptions): Promise<Channel> {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object with a port and an apiKey');
  if (!Number.isSafeInteger(options.port) || options.port < 1 || options.port > 65_535) throw new InvalidArgumentError('port must be an integer from 1 to 65535');
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host === '')) throw new InvalidArgumentError('host must be a non-empty string');
  const { handshake, settings, handshakeTimeoutMs } = clientSetup(options);
  const startedAt = Date.now();
  const host = options.host ?? '127.0.0.1';
  const tcp: Socket = netConnect({ host, port: options.port, allowHalfOpen: true, ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) });
  return new Promise<Channel>((resolve, reject) => {
    let opened = false;
    const fail = (error: unknown) => {
      clearTimeout(timer);
      tcp.off('connect', onConnect);
      tcp.destroy();
      handshake.dispose();
      reject(error);
    };
    const timer = setTimeout(() => fail(new HandshakeTimeoutError(`the handshake did not complete within ${handshakeTimeoutMs} ms`)), handshakeTimeoutMs);
    // Errors before 'connect' (refused, unreachable, DNS): the connection never opened.
    const onOpenError = (error: NodeJS.ErrnoException) => {
      if (opened) return;
      const detail = typeof error.code === 'string' && /^[A-Z0-9_]{1,32}$/.test(error.code) ? ` (${error.code})` : '';
      fail(new ConnectionClosedError(`the connection could not be opened${detail}`, { cause: error, closeCode: 1006, closeReason: '' }));
    };
    const onConnect = () => {
      opened = true;
      clearTimeout(timer);
      const socket = adaptTcpSocket(tcp, { maxMessageBytes: settings.maxMessageBytes, frameTimeoutMs: settings.keepaliveTimeoutMs, keepaliveIntervalMs: settings.keepaliveIntervalMs });
      const run: ClientHandshakeRun = { handshake, settings, timeoutMs: Math.max(1, handshakeTimeoutMs - (Date.now() - startedAt)), handshakeTimeoutMs };
      if (options.trace) {
        const trace = options.trace;
        run.trace = trace;
        run.onOpen = () => trace({ stage: 'open', url: `tcp://${host.includes(':') ? `[${host}]` : host}:${options.port}` });
      }
      runClientHandshake(socket, run).then(resolve, reject);
    };
    tcp.on('error', onOpenError);
    tcp.once('connect', onConnect);
  });
}
