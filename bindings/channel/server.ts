/**
 * The channel server (Node): accepts E2-E2 clients over WebSocket, standalone on a port or
 * attached to an existing http(s).Server, resolves API keys through a pluggable key store, and
 * hands the application each authenticated channel (with its key id and session id).
 *
 * Per connection: message 1 -> resolve the key id -> message 2 -> the client's key confirmation
 * (its first record, an empty DATA record) -> the channel is authenticated and handed over. Each
 * failure closes that one connection with the code mapped from its error (README "Close codes");
 * the server keeps serving everyone else. Limits (README "Limits"): handshake timeout, maximum
 * message size (enforced by `ws` before a payload is buffered: 1009), maximum pending handshakes
 * (4004 beyond it).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { createServerHandshake, type ResolveKey, type ServerHandshakeOptions, type TraceEvent } from '../e2e2/handshake.js';
import { parseEapiAuthorization, type VerifiedEapi } from '../e2e2/eapi.js';
import type { ServerSession } from '../e2e2/session.js';
import { authenticationFailed } from '../noise/failures.js';
import { HandshakeTimeoutError, InvalidArgumentError, MalformedMessageError, ServerBusyError } from '../errors.js';
import { MAX_MESSAGE_BYTES } from '../e2e2/constants.js';
import { Channel } from './channel.js';
import { DEFAULT_CLOSE_TIMEOUT_MS, DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_MAX_MESSAGE_BYTES, positiveInteger } from './client.js';
import { CloseCode, closeCodeFor, closeReason, errorForClose } from './close-codes.js';
import { KeyStore } from './keystore.js';
import { keyStoreResolver } from './keys.js';
import { adaptSocket, type MessageSocket } from './socket.js';

/** Default cap on connections that have not finished the handshake. */
export const DEFAULT_MAX_PENDING_HANDSHAKES = 1024;

export interface ServerOptions {
  /** Where API keys come from: a KeyStore, or a resolver (key id -> 32-byte secret, or undefined). */
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
  httpHandler?: (request: IncomingMessage, response: ServerResponse) => void;
  /** Accept WebSocket upgrades on this path only (default: any path). */
  path?: string;
  /** Application context mixed into the prologue; clients must use the same (default: empty). */
  context?: string | Uint8Array;
  /** From the connection to the client's key confirmation, ms. Default 10,000. */
  handshakeTimeoutMs?: number;
  /** Largest WebSocket message accepted, bytes. Default and maximum 65,535. */
  maxMessageBytes?: number;
  /** Connections still in the handshake beyond this are closed with 4004 (server busy). Default 1,024. */
  maxPendingHandshakes?: number;
  /** How long a close waits for the client's close frame, ms. Default 5,000. */
  closeTimeoutMs?: number;
  /** Keep our direction open after a client's CLOSE record (byte-stream tunnels). Default false. */
  allowHalfOpen?: boolean;
  /** Each sending key encrypts at most this many records (SPEC.md §7). Default 65,536. */
  rekeyAfterRecords?: number;
  /** EAPI verification: accepted clock difference, ms. Default 30,000. */
  eapiClockSkewMs?: number;
  /** Called with each handshake that failed (for the local log; the client only sees a close code). */
  onHandshakeError?: (error: unknown, info: { remoteAddress: string | undefined }) => void;
  /** Called at each key stage of each handshake (fingerprints only). */
  trace?: (event: TraceEvent) => void;
}

export interface ServerStats {
  /** Connections accepted (WebSocket upgrades). */
  connections: number;
  /** Handshakes completed (key confirmation authenticated). */
  handshakes: number;
  /** Handshakes that failed (any reason, including the client going away). */
  handshakeFailures: number;
  /** Connections refused with 4004 because too many handshakes were pending. */
  busyRejections: number;
  /** Connections currently in the handshake. */
  pendingHandshakes: number;
}

/** A request's EAPI verification result: which channel's session signed it, and what it vouches for. */
export interface VerifiedRequest {
  channel: Channel;
  eapi: VerifiedEapi;
}

export class E2E2Server {
  readonly #wss: WebSocketServer;
  readonly #http: HttpServer;
  readonly #standalone: boolean;
  readonly #options: ServerOptions;
  readonly #resolveKey: ResolveKey;
  readonly #handshakeTimeoutMs: number;
  readonly #maxMessageBytes: number;
  readonly #maxPending: number;
  readonly #closeTimeoutMs: number;
  readonly #channels = new Set<Channel>();
  readonly #bySession = new Map<string, Channel>();
  readonly #pending = new Set<MessageSocket>();
  readonly #channelListeners = new Set<(channel: Channel) => void>();
  readonly #stats: ServerStats = { connections: 0, handshakes: 0, handshakeFailures: 0, busyRejections: 0, pendingHandshakes: 0 };
  #closing: Promise<void> | undefined;

  /** @internal Use createServer(). */
  constructor(options: ServerOptions) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object');
    const keys = options.keys;
    if (keys instanceof KeyStore) this.#resolveKey = keyStoreResolver(keys);
    else if (typeof keys === 'function') this.#resolveKey = keys;
    else throw new InvalidArgumentError('keys must be a KeyStore or a resolver function');
    this.#options = options;
    this.#handshakeTimeoutMs = positiveInteger(options.handshakeTimeoutMs, DEFAULT_HANDSHAKE_TIMEOUT_MS, 'handshakeTimeoutMs');
    this.#maxMessageBytes = positiveInteger(options.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES, 'maxMessageBytes', MAX_MESSAGE_BYTES);
    this.#maxPending = positiveInteger(options.maxPendingHandshakes, DEFAULT_MAX_PENDING_HANDSHAKES, 'maxPendingHandshakes');
    this.#closeTimeoutMs = positiveInteger(options.closeTimeoutMs, DEFAULT_CLOSE_TIMEOUT_MS, 'closeTimeoutMs');
    this.#standalone = options.server === undefined;
    this.#http =
      options.server ??
      createHttpServer(
        options.httpHandler ??
          ((_request, response) => {
            response.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('E2-E2 channel endpoint: connect with WebSocket\n');
          }),
      );
    this.#wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: this.#maxMessageBytes,
      clientTracking: false,
    });
    this.#http.on('upgrade', this.#onUpgrade);
    if (options.onChannel) this.#channelListeners.add((channel) => this.#runHandler(channel, options.onChannel!));
  }

  /** The listening port (standalone or attached). */
  get port(): number {
    const address = this.#http.address() as AddressInfo | null;
    if (address === null || typeof address === 'string') throw new InvalidArgumentError('the server is not listening on a TCP port');
    return address.port;
  }

  /** ws://host:port/path of this server (host as given, default 127.0.0.1). */
  get url(): string {
    const address = this.#http.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `ws://${host}:${address.port}${this.#options.path ?? '/'}`;
  }

  /** The underlying HTTP server (for plain routes next to the channel endpoint). */
  get httpServer(): HttpServer {
    return this.#http;
  }

  /** Channels currently open. */
  get channels(): ReadonlySet<Channel> {
    return this.#channels;
  }

  get stats(): Readonly<ServerStats> {
    return { ...this.#stats, pendingHandshakes: this.#pending.size };
  }

  /** Listen for authenticated channels. Returns a function that removes the listener. */
  on(event: 'channel', listener: (channel: Channel) => void): () => void {
    if (event !== 'channel' || typeof listener !== 'function') throw new InvalidArgumentError("on('channel', listener)");
    this.#channelListeners.add(listener);
    return () => void this.#channelListeners.delete(listener);
  }

  /** The open channel with this session id (hex), if any. */
  channelBySessionId(sessionId: string): Channel | undefined {
    return this.#bySession.get(sessionId);
  }

  /**
   * Verify an EAPI-signed request (e.g. an HTTP request next to the channel) against the session
   * it names (SPEC.md §8.4). An unknown session is ERR_AUTHENTICATION_FAILED, like a forged
   * signature. `now` defaults to Date.now().
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
    return { channel, eapi: channel.verifyEapi(options) };
  }

  /**
   * Stop accepting, close pending handshakes and every channel with 1001 (CLOSE record first),
   * wait for them, and stop listening (standalone only).
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#http.off('upgrade', this.#onUpgrade);
      for (const socket of this.#pending) socket.close(CloseCode.GOING_AWAY, closeReason(CloseCode.GOING_AWAY));
      await Promise.all([...this.#channels].map((channel) => channel.close(CloseCode.GOING_AWAY)));
      await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
      if (this.#standalone) {
        this.#http.closeAllConnections();
        await new Promise<void>((resolve) => this.#http.close(() => resolve()));
      }
    })();
    return this.#closing;
  }

  /** @internal */
  async listen(): Promise<void> {
    if (!this.#standalone) return;
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(this.#options.port ?? 0, this.#options.host ?? '127.0.0.1', () => {
        this.#http.off('error', reject);
        resolve();
      });
    });
  }

  // ---------------------------------------------------------------- connections

  readonly #onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = this.#options.path;
    if (path !== undefined && new URL(request.url ?? '/', 'ws://x').pathname !== path) {
      // Not ours. On a shared server another upgrade listener may take it; if we are the only one, refuse it.
      if (this.#standalone || this.#http.listenerCount('upgrade') === 1) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
      return;
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, request));
  };

  #accept(ws: WebSocket, request: IncomingMessage): void {
    this.#stats.connections++;
    const socket = adaptSocket(ws);
    const remoteAddress = request.socket.remoteAddress;
    if (this.#closing) {
      socket.close(CloseCode.GOING_AWAY, closeReason(CloseCode.GOING_AWAY));
      return;
    }
    if (this.#pending.size >= this.#maxPending) {
      this.#stats.busyRejections++;
      const error = new ServerBusyError(`more than ${this.#maxPending} handshakes pending`);
      socket.close(closeCodeFor(error), closeReason(closeCodeFor(error)));
      this.#options.onHandshakeError?.(error, { remoteAddress });
      return;
    }
    this.#pending.add(socket);

    // The handshake wipes its copy of the secret; we wipe the resolver's after respond() settles.
    const resolved: Uint8Array[] = [];
    const resolveKey: ResolveKey = async (keyId) => {
      const secret = await this.#resolveKey(keyId);
      if (secret instanceof Uint8Array) resolved.push(secret);
      return secret;
    };
    const handshakeOptions: ServerHandshakeOptions = { resolveKey };
    if (this.#options.context !== undefined) handshakeOptions.context = this.#options.context;
    if (this.#options.rekeyAfterRecords !== undefined) handshakeOptions.rekeyAfterRecords = this.#options.rekeyAfterRecords;
    if (this.#options.eapiClockSkewMs !== undefined) handshakeOptions.eapiClockSkewMs = this.#options.eapiClockSkewMs;
    if (this.#options.trace) handshakeOptions.trace = this.#options.trace;
    const handshake = createServerHandshake(handshakeOptions);

    let phase: 'message1' | 'resolving' | 'confirmation' | 'done' = 'message1';
    let session: ServerSession | undefined;
    let closeTimer: ReturnType<typeof setTimeout> | undefined;

    const leave = (): boolean => {
      if (phase === 'done') return false;
      phase = 'done';
      clearTimeout(timer);
      this.#pending.delete(socket);
      return true;
    };
    const fail = (error: unknown): void => {
      if (!leave()) return;
      this.#stats.handshakeFailures++;
      handshake.dispose();
      session?.dispose();
      const code = closeCodeFor(error);
      socket.close(code, closeReason(code));
      closeTimer = setTimeout(() => socket.terminate(), this.#closeTimeoutMs);
      this.#options.onHandshakeError?.(error, { remoteAddress });
    };
    const timer = setTimeout(() => fail(new HandshakeTimeoutError(`no key confirmation within ${this.#handshakeTimeoutMs} ms`)), this.#handshakeTimeoutMs);

    socket.onClose = (code, reason) => {
      clearTimeout(closeTimer);
      if (!leave()) return;
      // The client went away mid-handshake, or refused message 2 (a wrong, unknown or revoked key: 4001).
      this.#stats.handshakeFailures++;
      handshake.dispose();
      session?.dispose();
      this.#options.onHandshakeError?.(errorForClose(code, reason, 'handshake'), { remoteAddress });
    };
    socket.onText = () => fail(new MalformedMessageError('received a text WebSocket message; E2-E2 messages are binary'));
    socket.onMessage = (bytes) => {
      switch (phase) {
        case 'message1':
          phase = 'resolving';
          handshake.respond(bytes).then(
            ({ message2, session: pendingSession }) => {
              for (const secret of resolved) secret.fill(0);
              if (phase !== 'resolving') {
                pendingSession.dispose();
                return;
              }
              session = pendingSession;
              phase = 'confirmation';
              socket.send(message2);
            },
            (error: unknown) => {
              for (const secret of resolved) secret.fill(0);
              fail(error);
            },
          );
          return;
        case 'resolving':
          fail(new MalformedMessageError('a message arrived before message 2 was sent (out of order)'));
          return;
        case 'confirmation': {
          try {
            const first = session!.open(bytes);
            if (first.type !== 'data' || first.data.length !== 0) {
              throw new MalformedMessageError('the first record must be the empty key-confirmation DATA record');
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
    const channel = new Channel(socket, session, {
      maxMessageBytes: this.#maxMessageBytes,
      closeTimeoutMs: this.#closeTimeoutMs,
      allowHalfOpen: this.#options.allowHalfOpen === true,
    });
    this.#channels.add(channel);
    this.#bySession.set(channel.sessionId, channel);
    void channel.closed.then(() => {
      this.#channels.delete(channel);
      if (this.#bySession.get(channel.sessionId) === channel) this.#bySession.delete(channel.sessionId);
    });
    if (this.#closing) {
      void channel.close(CloseCode.GOING_AWAY);
      return;
    }
    for (const listener of this.#channelListeners) listener(channel);
  }

  #runHandler(channel: Channel, handler: (channel: Channel) => void | Promise<void>): void {
    // Not an E2-E2 error (a bug in the handler): 1011. An E2-E2 error: its own close code.
    const onError = (error: unknown) => void channel.destroy(error);
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
