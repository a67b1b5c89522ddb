/**
 * The channel server (Node): accepts E2-E2 clients over WebSocket (SPEC.md §7.7), standalone on a
 * port or attached to an existing http(s).Server, resolves API keys through a pluggable key store,
 * and hands the application each authenticated channel (with its key id and session id).
 *
 * Per connection: message 1 (within message1TimeoutMs) -> resolve the key id -> message 2 -> the
 * client's key confirmation (within handshakeTimeoutMs of the connection) -> the channel is
 * authenticated and handed over. Each failure closes that one connection with the code mapped
 * from its error (README "Close codes").
 *
 * The server faces the internet, so nothing a peer sends can end the process or grow memory
 * without bound (README "Limits"): every event handler is guarded; connections that have not
 * authenticated are capped in all and per source address, before and after the WebSocket upgrade;
 * frames are bounded by size, fragment count and buffered chunks; application code that throws
 * closes only its channel (1011) and is reported through the 'error' event.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { createServerHandshake, type PostQuantumMode, type ResolveKey, type ServerHandshakeOptions, type TraceEvent } from '../e2e2/handshake.js';
import { parseEapiAuthorization, type VerifiedEapi } from '../e2e2/eapi.js';
import { DEFAULT_EAPI_CLOCK_SKEW_MS } from '../e2e2/constants.js';
import { verifyEapiHttpRequest, type EapiHttpPolicy, type EapiHttpRequest, type EapiHttpSession, type VerifiedEapiHttp } from '../e2e2/eapi-http.js';
import { MemoryReplayStore, MemorySessionRegistry, type ReplayStore, type SessionRegistry } from '../e2e2/eapi-stores.js';
import { sessionUsesDummyKey, type ServerSession } from '../e2e2/session.js';
import { authenticationFailed } from '../noise/failures.js';
import {
  ApplicationError,
  HandshakeTimeoutError,
  InvalidArgumentError,
  KeyRevokedError,
  MalformedMessageError,
  ServerBusyError,
  StoreUnavailableError,
  isE2E2Error,
  type E2E2Error,
} from '../errors.js';
import { Channel } from './channel.js';
import { addressKey, AddressBudget } from './addresses.js';
import { CloseCode, closeCodeFor, closeReason, errorForClose } from './close-codes.js';
import { KeyStore } from './keystore.js';
import { keyStoreResolver } from './keys.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_MAX_BUFFERED_CHUNKS,
  DEFAULT_MAX_FRAGMENTS,
  DEFAULT_MAX_HTTP_CONNECTIONS,
  DEFAULT_MAX_HTTP_CONNECTIONS_PER_ADDRESS,
  DEFAULT_MAX_PENDING_HANDSHAKES,
  DEFAULT_MAX_PENDING_HANDSHAKES_PER_ADDRESS,
  DEFAULT_MESSAGE1_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_REVOCATION_CHECK_INTERVAL_MS,
  channelSettings,
  integerOption,
  printError,
  type ChannelOptions,
} from './limits.js';
import { adaptSocket, type MessageSocket } from './socket.js';
import { adaptTcpSocket } from './tcp-socket.js';
import type { ChannelSettings } from './channel.js';

export { DEFAULT_MAX_PENDING_HANDSHAKES };

export interface ServerOptions extends ChannelOptions {
  /** Where API keys come from: a KeyStore, or a resolver (key id -> 32-byte secret, or undefined). Never written to. */
  keys: KeyStore | ResolveKey;
  /** Called with each authenticated channel. A throw or rejection closes that channel with 1011. */
  onChannel?: (channel: Channel) => void | Promise<void>;
  /** Attach to this server instead of listening on our own. */
  server?: HttpServer;
  /** Standalone: interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Standalone: port. Default 0 (any free port; see `port` on the result). */
  port?: number;
  /** Standalone: answers plain HTTP requests (default: 426 Upgrade Required). */
  httpHandler?: (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;
  /** Accept WebSocket upgrades on this path only (default: any path). */
  path?: string;
  /** Application context mixed into the prologue; clients must use the same (default: empty). */
  context?: string | Uint8Array;
  /** From the connection to message 1, ms. Default 5,000 (close 4003). */
  message1TimeoutMs?: number;
  /** From the connection to the client's key confirmation, ms. Default 10,000 (close 4003). */
  handshakeTimeoutMs?: number;
  /** Connections still in the handshake beyond this are closed with 4004 (server busy). Default 1,024. */
  maxPendingHandshakes?: number;
  /** The same, from one IPv4 address or IPv6 /64. Default 64. */
  maxPendingHandshakesPerAddress?: number;
  /** WebSocket frames per message (close 1008 beyond). Default 16. */
  maxFragments?: number;
  /** Chunks buffered for one unfinished frame (close 1008 beyond). Default 1,024. */
  maxBufferedChunks?: number;
  /** Standalone: TCP connections not upgraded (yet); excess ones are closed at once. Default 512. */
  maxHttpConnections?: number;
  /** Standalone: the same, from one IPv4 address or IPv6 /64. Default 32. */
  maxHttpConnectionsPerAddress?: number;
  /** Standalone: connection to the end of the request headers, ms (HTTP 408). Default 10,000. */
  headersTimeoutMs?: number;
  /** Standalone: connection to the end of a plain HTTP request, ms (HTTP 408). Default 30,000. */
  requestTimeoutMs?: number;
  /** End each channel this long after it opened (CLOSE record, then 4007), ms. Default: never. */
  maxSessionAgeMs?: number;
  /** How often the key of every open channel is looked up again, ms; a key gone closes its channels (4006). 0 = off. Default 2,000. */
  revocationCheckIntervalMs?: number;
  /** Each sending key encrypts at most this many records (SPEC.md §7.3). Default 65,536. */
  rekeyAfterRecords?: number;
  /** EAPI verification: accepted clock difference, ms. Default 30,000. */
  eapiClockSkewMs?: number;
  /** E2-E2 v2-hybrid (SPEC.md §13): 'accept' (default) either handshake, 'require' it (v1 clients get 4010), 'refuse' it. */
  postQuantum?: PostQuantumMode;
  /**
   * Where live sessions are registered for RFC 9421 EAPI verification (SPEC.md §8.7): each
   * authenticated session as { eapiRoot, keyId, expiresAt }, removed as soon as its close starts.
   * Default: a MemorySessionRegistry of this server alone; a shared one (e2e2/fleet) lets every
   * server of a fleet verify the EAPIs of sessions held by the others.
   */
  eapiSessions?: SessionRegistry;
  /** Nonces of verifyEapiHttp (SPEC.md §8.6 step 8). Default: a MemoryReplayStore of this server. */
  eapiReplay?: ReplayStore;
  /** Registry time to live of a session without maxSessionAgeMs, ms; refreshed at half of it while open. Default 3,600,000. */
  eapiSessionTtlMs?: number;
  /** Default policy of verifyEapiHttp (SPEC.md §8.6 step 7). */
  eapiPolicy?: EapiHttpPolicy;
  /** Called with each handshake that failed (for the local log; the client only sees a close code). */
  onHandshakeError?: (error: unknown, info: { remoteAddress: string | undefined }) => void;
  /** Called at each key stage of each handshake (fingerprints only). */
  trace?: (event: TraceEvent) => void;
}

export interface ServerStats {
  /** Connections accepted (WebSocket upgrades; TCP connections for `e2e2/net`). */
  connections: number;
  /** Handshakes completed (key confirmation authenticated). */
  handshakes: number;
  /** Handshakes that failed (any reason, including the client going away). */
  handshakeFailures: number;
  /** Connections refused with 4004 because too many handshakes were pending (in all or from one address). */
  busyRejections: number;
  /** Connections currently in the handshake. */
  pendingHandshakes: number;
  /** TCP connections refused before any HTTP request because too many were open (in all or from one address). */
  httpRejections: number;
  /** TCP connections open and not upgraded (standalone servers). */
  httpConnections: number;
  /** Channels closed because their key was revoked. */
  revokedChannels: number;
}

/** A request's EAPI verification result: which channel's session signed it, and what it vouches for. */
export interface VerifiedRequest {
  channel: Channel;
  eapi: VerifiedEapi;
}

/** What the 'error' event says about where an error happened. */
export interface ServerErrorInfo {
  /** The channel it closed, when it happened in one. */
  channel?: Channel;
  /** The peer's address, when known. */
  remoteAddress?: string;
}

/** An 'error' listener of the server: the error and, when it concerns one, the channel. */
export type ErrorListener = (error: E2E2Error, info: ServerErrorInfo) => void;

/** A pending handshake: its socket and the budget key it counts against. */
interface Pending {
  socket: MessageSocket;
  budgetKey: string;
}

const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
const REQUEST_TIMEOUT = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
const HEADERS_TOO_LARGE = 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
/** How long a refused HTTP connection may take to read our error answer, ms. */
const CLIENT_ERROR_LINGER_MS = 1000;
const NOT_FOUND = 'HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/** The path of a request target, or undefined when it does not parse (any bytes can arrive here). */
function requestPath(target: string | undefined): string | undefined {
  try {
    return new URL(target ?? '/', 'ws://x').pathname;
  } catch {
    return undefined;
  }
}

/** @internal Which binding a server speaks: WebSocket (SPEC.md §7.7, `e2e2/server`) or raw TCP (§7.8, `e2e2/net`). */
export type ServerTransport = 'websocket' | 'tcp';

export class E2E2Server {
  /** WebSocket binding only. */
  readonly #wss: WebSocketServer | undefined;
  /** WebSocket binding only: the HTTP server the upgrades arrive on. */
  readonly #http: HttpServer | undefined;
  /** What listens (or is attached to): the HTTP server, or the TCP server of the TCP binding. */
  readonly #listener: NetServer;
  readonly #transport: ServerTransport;
  /** TCP binding: every open connection, so close() can drop the ones that do not end. */
  readonly #tcpSockets = new Set<Socket>();
  readonly #standalone: boolean;
  readonly #options: ServerOptions;
  readonly #resolveKey: ResolveKey;
  readonly #message1TimeoutMs: number;
  readonly #handshakeTimeoutMs: number;
  readonly #pendingBudget: AddressBudget;
  readonly #httpBudget: AddressBudget | undefined;
  readonly #revocationCheckIntervalMs: number;
  readonly #settings: ChannelSettings;
  readonly #channels = new Set<Channel>();
  /** Channels already ended by revokeKey (until their socket closes they are still in #channels). */
  readonly #revoked = new WeakSet<Channel>();
  readonly #bySession = new Map<string, Channel>();
  /** Sessions whose EAPIs are valid: authenticated, and no close started. */
  readonly #liveSessions = new Map<string, ServerSession>();
  readonly #pending = new Set<Pending>();
  /** Standalone: gives back a not-yet-upgraded connection's slot (on upgrade or close). */
  readonly #releaseHttpSlot = new WeakMap<Duplex, () => void>();
  readonly #channelListeners = new Set<(channel: Channel) => void>();
  readonly #errorListeners = new Set<ErrorListener>();
  readonly #printError = printError('e2e2 server');
  readonly #stats: ServerStats = {
    connections: 0,
    handshakes: 0,
    handshakeFailures: 0,
    busyRejections: 0,
    pendingHandshakes: 0,
    httpRejections: 0,
    httpConnections: 0,
    revokedChannels: 0,
  };
  readonly #eapiSessions: SessionRegistry;
  readonly #ownsEapiSessions: boolean;
  readonly #eapiReplay: ReplayStore;
  readonly #ownsEapiReplay: boolean;
  readonly #eapiSessionTtlMs: number;
  readonly #maxSessionAgeMs: number;
  /** Registry writes in flight, awaited by close(). */
  readonly #storeWrites = new Set<Promise<void>>();
  #revocationTimer: ReturnType<typeof setInterval> | undefined;
  #revocationSweep: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  /** @internal Use createServer() (`e2e2/server`, WebSocket) or `e2e2/net`'s createServer() (TCP). */
  constructor(options: ServerOptions, transport: ServerTransport = 'websocket') {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object');
    const keys = options.keys;
    if (keys instanceof KeyStore) this.#resolveKey = keyStoreResolver(keys);
    else if (typeof keys === 'function') this.#resolveKey = keys;
    else throw new InvalidArgumentError('keys must be a KeyStore or a resolver function');
    this.#options = options;
    this.#message1TimeoutMs = integerOption(options.message1TimeoutMs, DEFAULT_MESSAGE1_TIMEOUT_MS, 'message1TimeoutMs');
    this.#handshakeTimeoutMs = integerOption(options.handshakeTimeoutMs, DEFAULT_HANDSHAKE_TIMEOUT_MS, 'handshakeTimeoutMs');
    this.#pendingBudget = new AddressBudget(
      integerOption(options.maxPendingHandshakes, DEFAULT_MAX_PENDING_HANDSHAKES, 'maxPendingHandshakes'),
      integerOption(options.maxPendingHandshakesPerAddress, DEFAULT_MAX_PENDING_HANDSHAKES_PER_ADDRESS, 'maxPendingHandshakesPerAddress'),
    );
    this.#revocationCheckIntervalMs = integerOption(options.revocationCheckIntervalMs, DEFAULT_REVOCATION_CHECK_INTERVAL_MS, 'revocationCheckIntervalMs', 0);
    const maxAgeMs = integerOption(options.maxSessionAgeMs, 0, 'maxSessionAgeMs', 0);
    this.#maxSessionAgeMs = maxAgeMs;
    this.#eapiSessionTtlMs = integerOption(options.eapiSessionTtlMs, DEFAULT_EAPI_SESSION_TTL_MS, 'eapiSessionTtlMs', 1000);
    if (options.eapiSessions !== undefined && !isRegistry(options.eapiSessions)) throw new InvalidArgumentError('eapiSessions must implement register, lookup and unregister');
    if (options.eapiReplay !== undefined && typeof options.eapiReplay?.claim !== 'function') throw new InvalidArgumentError('eapiReplay must implement claim');
    this.#ownsEapiSessions = options.eapiSessions === undefined;
    this.#eapiSessions = options.eapiSessions ?? new MemorySessionRegistry();
    this.#ownsEapiReplay = options.eapiReplay === undefined;
    this.#eapiReplay = options.eapiReplay ?? new MemoryReplayStore();
    // Checked once here, so a bad option fails createServer() and not the first connection.
    this.#settings = channelSettings(options, { maxAgeMs, reportError: () => {} });
    this.#transport = transport;
    if (options.onChannel) this.#channelListeners.add((channel) => this.#runHandler(channel, options.onChannel!));
    if (transport === 'tcp') {
      // The TCP binding (SPEC.md §7.8): one listener, each connection is a pending handshake at once.
      this.#standalone = true;
      this.#http = undefined;
      this.#wss = undefined;
      this.#httpBudget = undefined;
      this.#listener = createNetServer({ allowHalfOpen: true }, this.#onTcpConnection);
      return;
    }
    const maxFragments = integerOption(options.maxFragments, DEFAULT_MAX_FRAGMENTS, 'maxFragments');
    const maxBufferedChunks = integerOption(options.maxBufferedChunks, DEFAULT_MAX_BUFFERED_CHUNKS, 'maxBufferedChunks');
    this.#standalone = options.server === undefined;
    let http: HttpServer;
    if (this.#standalone) {
      this.#httpBudget = new AddressBudget(
        integerOption(options.maxHttpConnections, DEFAULT_MAX_HTTP_CONNECTIONS, 'maxHttpConnections'),
        integerOption(options.maxHttpConnectionsPerAddress, DEFAULT_MAX_HTTP_CONNECTIONS_PER_ADDRESS, 'maxHttpConnectionsPerAddress'),
      );
      const headersTimeout = integerOption(options.headersTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS, 'headersTimeoutMs');
      const requestTimeout = integerOption(options.requestTimeoutMs, Math.max(DEFAULT_REQUEST_TIMEOUT_MS, headersTimeout), 'requestTimeoutMs', headersTimeout);
      // Node checks these timers every connectionsCheckingInterval (default 30 s): a second keeps them tight.
      http = createHttpServer({ headersTimeout, requestTimeout, connectionsCheckingInterval: Math.min(1000, headersTimeout) }, this.#guardedHttpHandler(options.httpHandler));
      http.on('connection', this.#onConnection);
      // Malformed requests and resets: answer 400 where possible, never crash.
      http.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
        if (!socket.writable || error.code === 'ECONNRESET') {
          socket.destroy();
          return;
        }
        socket.end(error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? REQUEST_TIMEOUT : error.code === 'HPE_HEADER_OVERFLOW' ? HEADERS_TOO_LARGE : BAD_REQUEST);
        // A peer that does not read the answer does not keep the connection.
        setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS).unref();
      });
    } else {
      http = options.server!;
    }
    this.#http = http;
    this.#listener = http;
    this.#wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: this.#settings.maxMessageBytes,
      maxFragments,
      maxBufferedChunks,
      clientTracking: false,
    });
    this.#wss.on('error', (error) => this.#reportError(new ApplicationError('WebSocket server error', { cause: error }), {}));
    http.on('upgrade', this.#onUpgrade);
  }

  /** The listening port (standalone or attached). */
  get port(): number {
    const address = this.#listener.address() as AddressInfo | null;
    if (address === null || typeof address === 'string') throw new InvalidArgumentError('the server is not listening on a TCP port');
    return address.port;
  }

  /** ws://host:port/path of this server (host as given, default 127.0.0.1); tcp://host:port for the TCP binding. */
  get url(): string {
    const address = this.#listener.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    if (this.#transport === 'tcp') return `tcp://${host}:${address.port}`;
    return `ws://${host}:${address.port}${this.#options.path ?? '/'}`;
  }

  /** The underlying HTTP server (for plain routes next to the channel endpoint). A TCP server (`e2e2/net`) has none: ERR_INVALID_ARGUMENT. */
  get httpServer(): HttpServer {
    if (this.#http === undefined) throw new InvalidArgumentError('a TCP server (e2e2/net) has no HTTP server');
    return this.#http;
  }

  /** Channels currently open. */
  get channels(): ReadonlySet<Channel> {
    return this.#channels;
  }

  get stats(): Readonly<ServerStats> {
    return { ...this.#stats, pendingHandshakes: this.#pending.size, httpConnections: this.#httpBudget?.size ?? 0 };
  }

  /**
   * 'channel': each authenticated channel (a listener that throws closes that channel with 1011).
   * 'error': an application handler or listener threw, the key resolver failed, or an internal
   * fault; with `{ channel }` when a channel was closed because of it. Without an 'error' listener
   * these are printed (console.error). Returns a function that removes the listener.
   */
  on(event: 'channel', listener: (channel: Channel) => void): () => void;
  on(event: 'error', listener: ErrorListener): () => void;
  on(event: 'channel' | 'error', listener: ((channel: Channel) => void) | ErrorListener): () => void {
    if (typeof listener !== 'function') throw new InvalidArgumentError('listener must be a function');
    if (event === 'channel') {
      const l = listener as (channel: Channel) => void;
      this.#channelListeners.add(l);
      return () => void this.#channelListeners.delete(l);
    }
    if (event === 'error') {
      const l = listener as ErrorListener;
      this.#errorListeners.add(l);
      return () => void this.#errorListeners.delete(l);
    }
    throw new InvalidArgumentError("event must be 'channel' or 'error'");
  }

  /** The open channel with this session id (hex), if any. */
  channelBySessionId(sessionId: string): Channel | undefined {
    return this.#bySession.get(sessionId);
  }

  /**
   * Verify an EAPI-signed request (e.g. an HTTP request next to the channel) against the session
   * it names (SPEC.md §8.4). A session that is not open here, or whose close has started, is
   * ERR_AUTHENTICATION_FAILED, like a forged signature. `now` defaults to Date.now().
   */
  verifyRequest(request: { authorization: string; method: string; path: string; body?: Uint8Array | string; requiredScope: string; now?: number }): VerifiedRequest {
    const authorization = parseEapiAuthorization(request.authorization);
    const channel = this.#bySession.get(authorization.sessionId);
    if (channel === undefined) throw authenticationFailed('eapi for a session that is not open here');
    const options = {
      authorization,
      method: request.method,
      path: request.path,
      now: request.now ?? Date.now(),
      requiredScope: request.requiredScope,
      ...(request.body === undefined ? {} : { body: request.body }),
    };
    try {
      return { channel, eapi: channel.verifyEapi(options) };
    } catch (error) {
      // EAPIs end with any close of their session (SPEC.md §8.1): to the requester that is an unknown session.
      if (isE2E2Error(error, 'ERR_SESSION_CLOSED') || isE2E2Error(error, 'ERR_SESSION_DISPOSED')) throw authenticationFailed('eapi for a session that is closing', error);
      throw error;
    }
  }

  /** The registry this server's sessions are registered in (the option, or its own in-memory one). */
  get eapiSessions(): SessionRegistry {
    return this.#eapiSessions;
  }

  /**
   * Verify a request signed with the RFC 9421 EAPI profile (SPEC.md §8.6) against any session in
   * the registry: one held here (checked first, so a closing channel here is refused at once) or,
   * with a shared registry, one held by another server of the fleet. Rejects as
   * verifyEapiHttpRequest does; a registry or replay store that cannot answer is ERR_STORE_UNAVAILABLE.
   */
  async verifyEapiHttp(
    request: EapiHttpRequest,
    options: { now?: number; requiredScope?: string; policy?: EapiHttpPolicy; replay?: ReplayStore; clockSkewMs?: number } = {},
  ): Promise<VerifiedEapiHttp> {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object');
    const roots: Uint8Array[] = [];
    const lookupSession = async (sessionId: string): Promise<EapiHttpSession | undefined> => {
      const live = this.#liveSessions.get(sessionId);
      let record: { eapiRoot: Uint8Array; keyId: string } | undefined;
      if (live !== undefined) record = { eapiRoot: live.exportEapiRoot(), keyId: live.keyId };
      // A channel here whose close has started: its EAPIs ended, whatever the registry still says.
      else if (this.#bySession.has(sessionId)) record = undefined;
      else record = await this.#eapiSessions.lookup(sessionId);
      if (record !== undefined) roots.push(record.eapiRoot);
      return record;
    };
    try {
      return await verifyEapiHttpRequest(request, {
        lookupSession,
        replay: options.replay ?? this.#eapiReplay,
        ...(options.now === undefined ? {} : { now: options.now }),
        ...(options.requiredScope === undefined ? {} : { requiredScope: options.requiredScope }),
        clockSkewMs: options.clockSkewMs ?? this.#options.eapiClockSkewMs ?? DEFAULT_EAPI_CLOCK_SKEW_MS,
        ...(options.policy ?? this.#options.eapiPolicy ? { policy: (options.policy ?? this.#options.eapiPolicy)! } : {}),
      });
    } finally {
      for (const root of roots) root.fill(0);
    }
  }

  /** Close every open channel of `keyId` now with 4006 (ERR_KEY_REVOKED); returns how many. */
  revokeKey(keyId: string): number {
    let closed = 0;
    for (const channel of this.#channels) {
      // One that is already ending because of a revocation is not counted (or aborted) again.
      if (channel.keyId !== keyId || channel.state === 'closed' || this.#revoked.has(channel)) continue;
      this.#revoked.add(channel);
      channel.abort(new KeyRevokedError('the API key of this channel was revoked'));
      this.#stats.revokedChannels++;
      closed++;
    }
    return closed;
  }

  /**
   * Stop accepting, close pending handshakes with 1001, end every channel (CLOSE record, then
   * 1001 once the client's CLOSE arrived or closeTimeoutMs passed), wait for them, and stop
   * listening (standalone only).
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#http?.off('upgrade', this.#onUpgrade);
      // TCP: no new connections from here on (close() resolves once the existing ones are gone).
      const listenerClosed = this.#transport === 'tcp' ? new Promise<void>((resolve) => this.#listener.close(() => resolve())) : undefined;
      clearInterval(this.#revocationTimer);
      for (const { socket } of this.#pending) socket.close(CloseCode.GOING_AWAY, closeReason(CloseCode.GOING_AWAY));
      await Promise.all([...this.#channels].map((channel) => channel.close(CloseCode.GOING_AWAY)));
      await Promise.all([...this.#storeWrites]);
      if (this.#ownsEapiSessions) await this.#eapiSessions.close?.();
      if (this.#ownsEapiReplay) await this.#eapiReplay.close?.();
      if (listenerClosed) {
        // Pending handshakes were sent FIN above; whoever has not answered it is dropped.
        for (const tcp of this.#tcpSockets) tcp.destroy();
        await listenerClosed;
        return;
      }
      await new Promise<void>((resolve) => this.#wss!.close(() => resolve()));
      if (this.#standalone) {
        this.#http!.closeAllConnections();
        await new Promise<void>((resolve) => this.#http!.close(() => resolve()));
      }
    })();
    return this.#closing;
  }

  /** @internal */
  async listen(): Promise<void> {
    if (!this.#standalone) return;
    const listener = this.#listener;
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(this.#options.port ?? 0, this.#options.host ?? '127.0.0.1', () => {
        listener.off('error', reject);
        resolve();
      });
    });
    // Later listen errors (none expected once bound) are reported, never thrown into the event loop.
    const what = this.#transport === 'tcp' ? 'TCP server error' : 'HTTP server error';
    listener.on('error', (error) => this.#reportError(new ApplicationError(what, { cause: error }), {}));
  }

  // ---------------------------------------------------------------- errors

  #reportError(error: E2E2Error, info: ServerErrorInfo): void {
    if (this.#errorListeners.size === 0) {
      this.#printError(error);
      return;
    }
    for (const l of this.#errorListeners) {
      try {
        l(error, info);
      } catch (thrown) {
        this.#printError(thrown);
      }
    }
  }

  /** Run an application callback; a throw is reported and closes `channel` (1011). */
  #guard(channel: Channel | undefined, what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      const wrapped = new ApplicationError(`${what} threw`, { cause: error });
      this.#reportError(wrapped, channel ? { channel } : {});
      if (channel) void channel.destroy(wrapped);
    }
  }

  // ---------------------------------------------------------------- plain HTTP (standalone)

  #guardedHttpHandler(handler: ServerOptions['httpHandler']): (request: IncomingMessage, response: ServerResponse) => void {
    const fallback = (_request: IncomingMessage, response: ServerResponse) => {
      response.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('E2-E2 channel endpoint: connect with WebSocket\n');
    };
    const run = handler ?? fallback;
    const failed = (response: ServerResponse, error: unknown) => {
      this.#reportError(new ApplicationError('the HTTP handler threw', { cause: error }), {});
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain', connection: 'close' }).end('internal error\n');
      else response.destroy();
    };
    return (request, response) => {
      try {
        const result = run(request, response);
        if (result && typeof (result as Promise<void>).then === 'function') (result as Promise<void>).then(undefined, (error: unknown) => failed(response, error));
      } catch (error) {
        failed(response, error);
      }
    };
  }

  /** Count TCP connections until they upgrade; beyond the caps (in all, per address) close them at once. */
  readonly #onConnection = (socket: Socket): void => {
    const budget = this.#httpBudget!;
    const key = addressKey(socket.remoteAddress);
    socket.on('error', () => {});
    if (!budget.take(key)) {
      this.#stats.httpRejections++;
      socket.destroy();
      return;
    }
    let counted = true;
    const release = () => {
      if (!counted) return;
      counted = false;
      budget.release(key);
    };
    socket.once('close', release);
    this.#releaseHttpSlot.set(socket, release);
  };

  // ---------------------------------------------------------------- connections

  readonly #onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    try {
      // Upgraded: it is a pending handshake now, counted there.
      this.#releaseHttpSlot.get(socket)?.();
      socket.on('error', () => {});
      const path = this.#options.path;
      if (path !== undefined) {
        const target = requestPath(request.url);
        if (target === undefined) {
          socket.end(BAD_REQUEST);
          return;
        }
        if (target !== path) {
          // Not ours. On a shared server another upgrade listener may take it; if we are the only one, refuse it.
          if (this.#standalone || this.#http!.listenerCount('upgrade') === 1) socket.end(NOT_FOUND);
          return;
        }
      }
      this.#wss!.handleUpgrade(request, socket, head, (ws) =>
        this.#guard(undefined, 'accepting a connection', () => this.#accept(adaptSocket(ws), request.socket.remoteAddress)),
      );
    } catch (error) {
      this.#reportError(new ApplicationError('the upgrade handler failed', { cause: error }), { remoteAddress: request.socket?.remoteAddress });
      socket.destroy();
    }
  };

  /** TCP binding (SPEC.md §7.8): each connection is framed (§7.4) and goes through the same handshake as a WebSocket. */
  readonly #onTcpConnection = (tcp: Socket): void => {
    tcp.on('error', () => {});
    this.#tcpSockets.add(tcp);
    tcp.once('close', () => this.#tcpSockets.delete(tcp));
    this.#guard(undefined, 'accepting a connection', () => {
      const socket = adaptTcpSocket(tcp, {
        maxMessageBytes: this.#settings.maxMessageBytes,
        frameTimeoutMs: this.#settings.keepaliveTimeoutMs,
        keepaliveIntervalMs: this.#settings.keepaliveIntervalMs,
      });
      this.#accept(socket, tcp.remoteAddress);
    });
  };

  /**
   * One connection of either binding, from its first byte to its authenticated channel: the
   * pending budgets, message 1 (message1TimeoutMs), the key lookup, message 2, the key
   * confirmation (handshakeTimeoutMs). The transport is only the MessageSocket.
   */
  #accept(socket: MessageSocket, remoteAddress: string | undefined): void {
    this.#stats.connections++;
    const budgetKey = addressKey(remoteAddress);
    socket.onFault = (error) => this.#reportError(new ApplicationError('a connection handler threw', { cause: error }), { remoteAddress });
    if (this.#closing) {
      socket.close(CloseCode.GOING_AWAY, closeReason(CloseCode.GOING_AWAY));
      return;
    }
    if (!this.#pendingBudget.take(budgetKey)) {
      this.#stats.busyRejections++;
      const error = new ServerBusyError('too many handshakes pending (in all or from this address)');
      socket.close(closeCodeFor(error), closeReason(closeCodeFor(error)));
      setTimeout(() => socket.terminate(), this.#settings.closeTimeoutMs).unref();
      this.#options.onHandshakeError?.(error, { remoteAddress });
      return;
    }
    const pending: Pending = { socket, budgetKey };
    this.#pending.add(pending);

    const handshakeOptions: ServerHandshakeOptions = { resolveKey: this.#resolveKey };
    if (this.#options.context !== undefined) handshakeOptions.context = this.#options.context;
    if (this.#options.rekeyAfterRecords !== undefined) handshakeOptions.rekeyAfterRecords = this.#options.rekeyAfterRecords;
    if (this.#options.eapiClockSkewMs !== undefined) handshakeOptions.eapiClockSkewMs = this.#options.eapiClockSkewMs;
    if (this.#options.trace) handshakeOptions.trace = this.#options.trace;
    if (this.#options.postQuantum !== undefined) handshakeOptions.postQuantum = this.#options.postQuantum;
    const handshake = createServerHandshake(handshakeOptions);

    let phase: 'message1' | 'resolving' | 'confirmation' | 'done' = 'message1';
    let session: ServerSession | undefined;
    let closeTimer: ReturnType<typeof setTimeout> | undefined;

    const leave = (): boolean => {
      if (phase === 'done') return false;
      phase = 'done';
      clearTimeout(message1Timer);
      clearTimeout(handshakeTimer);
      this.#pending.delete(pending);
      this.#pendingBudget.release(budgetKey);
      return true;
    };
    const report = (error: unknown) => {
      try {
        this.#options.onHandshakeError?.(error, { remoteAddress });
      } catch (thrown) {
        this.#reportError(new ApplicationError('onHandshakeError threw', { cause: thrown }), { remoteAddress });
      }
    };
    const fail = (error: unknown): void => {
      if (!leave()) return;
      this.#stats.handshakeFailures++;
      handshake.dispose();
      this.#endPendingSession(session);
      const code = closeCodeFor(error);
      socket.close(code, closeReason(code));
      closeTimer = setTimeout(() => socket.terminate(), this.#settings.closeTimeoutMs);
      // A resolver that fails is the operator's problem, not the client's: report it as an error too.
      if (!isE2E2Error(error) || error.fault !== 'peer') {
        this.#reportError(isE2E2Error(error) ? error : new ApplicationError('the key resolver failed', { cause: error }), { remoteAddress });
      }
      report(error);
    };
    const message1Timer = setTimeout(() => {
      if (phase === 'message1') fail(new HandshakeTimeoutError(`no message 1 within ${this.#message1TimeoutMs} ms`));
    }, this.#message1TimeoutMs);
    const handshakeTimer = setTimeout(() => fail(new HandshakeTimeoutError(`no key confirmation within ${this.#handshakeTimeoutMs} ms`)), this.#handshakeTimeoutMs);

    // A frame error the WebSocket layer found (it closed by itself with 1002/1007/1008/1009): report that, not 1006.
    socket.onProtocolError = fail;
    socket.onClose = (code, reason) => {
      clearTimeout(closeTimer);
      if (!leave()) return;
      // The client went away mid-handshake, or refused message 2 (a wrong, unknown or revoked key: 4001).
      this.#stats.handshakeFailures++;
      handshake.dispose();
      this.#endPendingSession(session);
      report(errorForClose(code, reason, 'handshake'));
    };
    socket.onText = () => fail(new MalformedMessageError('received a text WebSocket message; E2-E2 messages are binary'));
    socket.onMessage = (bytes) => {
      switch (phase) {
        case 'message1':
          phase = 'resolving';
          clearTimeout(message1Timer);
          handshake
            .respond(bytes)
            .then(({ message2, session: pendingSession }) => {
              if (phase !== 'resolving') {
                pendingSession.dispose();
                return;
              }
              session = pendingSession;
              phase = 'confirmation';
              socket.send(message2);
              // Registered from message 2 on (after it is sent, so its timing is not affected): a
              // valid EAPI MAC already proves the API key, and a client that signs a request the
              // moment connect() resolves must not race its own key confirmation (SPEC.md §8.7).
              // A dummy-key session (unknown key id) can never produce a valid MAC: not registered.
              if (!sessionUsesDummyKey(pendingSession)) {
                this.#liveSessions.set(pendingSession.sessionId, pendingSession);
                this.#registerSession(pendingSession);
              }
            })
            .catch(fail);
          return;
        case 'resolving':
          fail(new MalformedMessageError('a message arrived before message 2 was sent (out of order)'));
          return;
        case 'confirmation': {
          try {
            // The key confirmation (SPEC.md §7.7.2): the client's first record, empty; REKEY when its rekeyAfterRecords is 1.
            const first = session!.open(bytes);
            if (first.type === 'close' || first.data.length !== 0) {
              throw new MalformedMessageError('the first record must be the empty key confirmation (DATA or REKEY)');
            }
          } catch (error) {
            fail(error);
            return;
          }
          leave();
          this.#established(socket, session!);
          return;
        }
        case 'done':
          return;
      }
    };
  }

  #established(socket: MessageSocket, session: ServerSession): void {
    this.#stats.handshakes++;
    let self: Channel | undefined;
    let refresh: ReturnType<typeof setInterval> | undefined;
    const channel = new Channel(socket, session, {
      ...this.#settings,
      reportError: (error) => this.#reportError(error, self ? { channel: self } : {}),
      onSessionEnding: () => {
        clearInterval(refresh);
        this.#liveSessions.delete(session.sessionId);
        this.#storeWrite(this.#eapiSessions.unregister(session.sessionId), 'unregister', self);
      },
    });
    self = channel;
    this.#channels.add(channel);
    this.#bySession.set(channel.sessionId, channel);
    // Registered since message 2 (see #accept); the refresh keeps the entry alive.
    if (this.#maxSessionAgeMs === 0) {
      refresh = setInterval(() => this.#registerSession(session), Math.floor(this.#eapiSessionTtlMs / 2));
      refresh.unref();
    }
    void channel.closed.then(() => {
      clearInterval(refresh);
      this.#channels.delete(channel);
      if (this.#bySession.get(channel.sessionId) === channel) this.#bySession.delete(channel.sessionId);
      if (this.#channels.size === 0) {
        clearInterval(this.#revocationTimer);
        this.#revocationTimer = undefined;
      }
    });
    if (this.#closing) {
      void channel.close(CloseCode.GOING_AWAY);
      return;
    }
    if (this.#revocationCheckIntervalMs > 0 && this.#revocationTimer === undefined) {
      this.#revocationTimer = setInterval(() => void this.#checkRevocations(), this.#revocationCheckIntervalMs);
      this.#revocationTimer.unref();
    }
    for (const listener of this.#channelListeners) {
      if (channel.state === 'closed') break;
      this.#guard(channel, "a 'channel' listener", () => listener(channel));
    }
  }

  /** A handshake that failed after message 2: its session's EAPIs end now, and it is disposed. */
  #endPendingSession(session: ServerSession | undefined): void {
    if (session === undefined) return;
    if (this.#liveSessions.get(session.sessionId) === session) {
      this.#liveSessions.delete(session.sessionId);
      this.#storeWrite(this.#eapiSessions.unregister(session.sessionId), 'unregister', undefined);
    }
    session.dispose();
  }

  /** (Re-)register a session in the EAPI registry, unless its close has started. */
  #registerSession(session: ServerSession): void {
    if (this.#liveSessions.get(session.sessionId) !== session) return;
    const channel = this.#bySession.get(session.sessionId);
    const ttl = this.#maxSessionAgeMs > 0 ? this.#maxSessionAgeMs + this.#settings.closeTimeoutMs : this.#eapiSessionTtlMs;
    let write: Promise<void>;
    const eapiRoot = session.exportEapiRoot();
    try {
      write = this.#eapiSessions.register(session.sessionId, { eapiRoot, keyId: session.keyId, expiresAt: Date.now() + ttl });
    } catch (error) {
      write = Promise.reject(error);
    }
    // The registry keeps its own copy (or has serialized it) once register() returned.
    eapiRoot.fill(0);
    this.#storeWrite(write, 'register', channel);
  }

  /** Track a registry write; a failure is reported (ERR_STORE_UNAVAILABLE) and never closes the channel. */
  #storeWrite(write: Promise<void>, what: string, channel: Channel | undefined): void {
    const tracked = write.then(
      () => undefined,
      (error: unknown) => {
        const typed = isE2E2Error(error) ? error : new StoreUnavailableError(`session registry ${what} failed`, { cause: error });
        this.#reportError(typed, channel ? { channel } : {});
      },
    );
    this.#storeWrites.add(tracked);
    void tracked.finally(() => this.#storeWrites.delete(tracked));
  }

  /** Look up the key of every open channel again (one lookup per key id); close those whose key is gone. */
  #checkRevocations(): Promise<void> {
    this.#revocationSweep ??= (async () => {
      const keyIds = new Set<string>();
      for (const channel of this.#channels) if (channel.state !== 'closed') keyIds.add(channel.keyId);
      for (const keyId of keyIds) {
        let secret: Uint8Array | undefined | null;
        try {
          secret = await this.#resolveKey(keyId);
        } catch (error) {
          // A failing store cannot prove a revocation: keep the channels, report the store.
          this.#reportError(isE2E2Error(error) ? error : new ApplicationError('the key resolver failed', { cause: error }), {});
          continue;
        }
        if (secret === undefined || secret === null) this.revokeKey(keyId);
      }
    })().finally(() => (this.#revocationSweep = undefined));
    return this.#revocationSweep;
  }

  #runHandler(channel: Channel, handler: (channel: Channel) => void | Promise<void>): void {
    const onError = (error: unknown) => {
      // The channel's own end (the iterator rethrowing its close error) is not an application fault.
      if (isE2E2Error(error) && channel.state !== 'open') return;
      const wrapped = new ApplicationError('the onChannel handler threw', { cause: error });
      this.#reportError(wrapped, { channel });
      void channel.destroy(wrapped);
    };
    try {
      const result = handler(channel);
      if (result && typeof (result as Promise<void>).then === 'function') (result as Promise<void>).then(undefined, onError);
    } catch (error) {
      onError(error);
    }
  }
}

/** Create a server; resolves once it is listening (standalone) or attached. */
export async function createServer(options: ServerOptions): Promise<E2E2Server> {
  const server = new E2E2Server(options);
  await server.listen();
  return server;
}

/** Registry time to live of a session without a maximum age, ms (refreshed at half of it while open). */
export const DEFAULT_EAPI_SESSION_TTL_MS = 3_600_000;

function isRegistry(value: unknown): value is SessionRegistry {
  const r = value as SessionRegistry;
  return typeof r === 'object' && r !== null && typeof r.register === 'function' && typeof r.lookup === 'function' && typeof r.unregister === 'function';
}
