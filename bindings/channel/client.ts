/**
 * The channel client: `connect(url, { apiKey })` opens a WebSocket, runs the E2-E2 handshake
 * (SPEC.md §5) and resolves with an established Channel. Browser-safe: it uses the WebSocket
 * constructor it is given, or the global one (`e2e2/channel` in Node supplies `ws`).
 *
 *   client                                        server
 *   message 1 (60 bytes: e, key id)  ------------>
 *                                   <------------  message 2 (48 bytes: e, ee, psk)
 *   key confirmation (empty DATA record) -------->  the server now knows the client holds the key
 *   records ... <------------------------------->  records ...
 *
 * The key confirmation is the client's first record (README "Channel"): the server hands the
 * channel to its application only after it authenticates, and does not deliver it as a message.
 */
import { createClientHandshake, type ClientHandshakeOptions, type TraceEvent } from '../e2e2/handshake.js';
import type { ApiKey } from '../e2e2/api-key.js';
import type { ClientSession } from '../e2e2/session.js';
import { ApplicationError, ConnectionClosedError, HandshakeTimeoutError, InvalidArgumentError, MalformedMessageError, MessageTooLargeError, isE2E2Error, type E2E2Error } from '../errors.js';
import { Channel } from './channel.js';
import { closeCodeFor, closeReason, errorForClose } from './close-codes.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, channelSettings, integerOption, printError, type ChannelOptions } from './limits.js';
import { adaptSocket, type MessageSocket } from './socket.js';

/** A handshake step, for demos and logs: the key stages with fingerprints, and the wire messages. */
export type ConnectTraceEvent =
  | TraceEvent
  | { stage: 'open'; url: string }
  | { stage: 'message1' | 'message2' | 'confirm'; bytes: number };

/** Anything that makes an open-able WebSocket for a URL (the WHATWG constructor, or `ws` in Node). */
export type WebSocketFactory = (url: string, maxMessageBytes: number) => unknown;

/** Options of connect(): the API key, the context, the WebSocket implementation (browsers: the global one) and the channel limits. */
export interface ConnectOptions extends ChannelOptions {
  /** The API key: the token `e2e2_<keyId>_<secret>` or `{ keyId, secret }`. */
  apiKey: string | ApiKey;
  /** Application context mixed into the prologue; must equal the server's (default: empty). */
  context?: string | Uint8Array;
  /** Whole handshake, from opening the WebSocket to sending the key confirmation, ms. Default 10,000. */
  handshakeTimeoutMs?: number;
  /** Each sending key encrypts at most this many records (SPEC.md §7.3). Default 65,536. */
  rekeyAfterRecords?: number;
  /** Run E2-E2 v2-hybrid (X25519 + ML-KEM-768, SPEC.md §13) instead of v1. Default false. */
  postQuantum?: boolean;
  /** Called at each handshake step (K1, K2, K3 fingerprints; message sizes). Never sees a secret. */
  trace?: (event: ConnectTraceEvent) => void;
  /** Errors thrown by this channel's listeners (the channel closes with 1011). Default: console.error. */
  onError?: (error: E2E2Error) => void;
  /** Where the WebSocket comes from. Default: the global `WebSocket`. */
  WebSocket?: new (url: string) => unknown;
}

interface WhatwgEvents {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: { code?: number; reason?: string; error?: unknown }) => void): void;
  removeEventListener(type: string, listener: (event: { code?: number; reason?: string }) => void): void;
  close(code?: number, reason?: string): void;
}

/** Connect with the WebSocket given in `options.WebSocket`, or the global one. */
export function connect(url: string | URL, options: ConnectOptions): Promise<Channel> {
  const Ctor = options?.WebSocket ?? (globalThis as { WebSocket?: new (url: string) => unknown }).WebSocket;
  if (typeof Ctor !== 'function') {
    return Promise.reject(new InvalidArgumentError('no WebSocket implementation: pass options.WebSocket (in Node, import connect from "e2e2/channel")'));
  }
  return connectWith((target) => new Ctor(target), url, options);
}

/** @internal connect() over any WebSocket factory (the Node entry passes one built on `ws`). */
export async function connectWith(factory: WebSocketFactory, url: string | URL, options: ConnectOptions): Promise<Channel> {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object with an apiKey');
  const target = String(url);
  if (!/^wss?:\/\//i.test(target)) throw new InvalidArgumentError('url must start with ws:// or wss://');
  const handshakeTimeoutMs = integerOption(options.handshakeTimeoutMs, DEFAULT_HANDSHAKE_TIMEOUT_MS, 'handshakeTimeoutMs');
  if (options.onError !== undefined && typeof options.onError !== 'function') throw new InvalidArgumentError('onError must be a function');
  const settings = channelSettings(options, { maxAgeMs: 0, reportError: options.onError ?? printError('e2e2 channel') });
  const trace = options.trace;
  const handshakeOptions: ClientHandshakeOptions = { apiKey: options.apiKey };
  if (options.context !== undefined) handshakeOptions.context = options.context;
  if (options.rekeyAfterRecords !== undefined) handshakeOptions.rekeyAfterRecords = options.rekeyAfterRecords;
  if (options.postQuantum !== undefined) handshakeOptions.postQuantum = options.postQuantum;
  if (trace) handshakeOptions.trace = trace;
  // Parses and validates the API key before any network activity (ERR_INVALID_API_KEY).
  const handshake = createClientHandshake(handshakeOptions);
  const ws = factory(target, settings.maxMessageBytes) as WhatwgEvents;

  return new Promise<Channel>((resolve, reject) => {
    let settled = false;
    let socket: MessageSocket | undefined;
    /** A frame error the WebSocket layer found (it closes by itself): the reason to report. */
    let protocolError: E2E2Error | undefined;
    const settle = (error: unknown, channel?: Channel) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.removeEventListener('open', onOpen);
      ws.removeEventListener('close', onEarlyClose);
      handshake.dispose();
      if (channel) resolve(channel);
      else reject(error);
    };
    /**
     * A failure found on our side: close with its code and report it once the close handshake is
     * done (so the server learns the code, and no socket outlives the rejected promise), or after
     * closeTimeoutMs at the latest.
     */
    let failing = false;
    const fail = (thrown: unknown) => {
      if (settled || failing) return;
      failing = true;
      clearTimeout(timer);
      // Our own code (a trace callback) may throw anything; the caller gets a typed error.
      const error = isE2E2Error(thrown) ? thrown : new ApplicationError('application code threw during the handshake', { cause: thrown });
      const code = closeCodeFor(error, socket?.whatwg ?? true);
      if (socket) {
        const drop = setTimeout(() => {
          socket!.terminate();
          settle(error);
        }, settings.closeTimeoutMs);
        socket.onMessage = () => {};
        socket.onClose = () => {
          clearTimeout(drop);
          settle(error);
        };
        socket.close(code, closeReason(code));
      } else {
        try {
          if (ws.readyState < 2) ws.close(code, closeReason(code));
        } finally {
          settle(error);
        }
      }
    };
    const timer = setTimeout(() => fail(new HandshakeTimeoutError(`the handshake did not complete within ${handshakeTimeoutMs} ms`)), handshakeTimeoutMs);
    // An 'error' before 'open' means the connection never opened (refused, reset, DNS, TLS): say so,
    // with the transport's error as the cause, instead of a close "during the handshake".
    let openError: unknown;
    const onEarlyClose = (event: { code?: number; reason?: string }) => {
      if (openError === undefined) {
        settle(errorForClose(event.code ?? 1006, event.reason ?? '', 'handshake'));
        return;
      }
      const errno = (openError as { code?: unknown } | null)?.code;
      const detail = typeof errno === 'string' && /^[A-Z0-9_]{1,32}$/.test(errno) ? ` (${errno})` : '';
      settle(new ConnectionClosedError(`the connection could not be opened${detail}`, { cause: openError, closeCode: event.code ?? 1006, closeReason: event.reason ?? '' }));
    };
    const onMessage2 = (message2: Uint8Array) => {
      let session: ClientSession;
      try {
        if (message2.length > settings.maxMessageBytes) throw new MessageTooLargeError(`a message exceeds ${settings.maxMessageBytes} bytes`);
        trace?.({ stage: 'message2', bytes: message2.length });
        session = handshake.readMessage2(message2);
      } catch (error) {
        fail(error);
        return;
      }
      // The key confirmation: our first record, empty (SPEC.md §7.7.2; a REKEY record when rekeyAfterRecords is 1).
      const confirmation = session.seal(new Uint8Array(0));
      socket!.send(confirmation);
      // The Channel takes over the socket's handlers synchronously: no record can slip by.
      const channel = new Channel(socket!, session, settings);
      settle(undefined, channel);
      try {
        trace?.({ stage: 'confirm', bytes: confirmation.length });
      } catch (error) {
        void channel.destroy(error);
      }
    };
    const onOpen = () => {
      ws.removeEventListener('close', onEarlyClose);
      socket = adaptSocket(ws);
      socket.onClose = (code, reason) => settle(protocolError ?? errorForClose(code, reason, 'handshake'));
      socket.onProtocolError = (error) => (protocolError ??= error);
      socket.onFault = fail;
      socket.onText = () => fail(new MalformedMessageError('received a text WebSocket message during the handshake'));
      socket.onMessage = onMessage2;
      try {
        trace?.({ stage: 'open', url: target });
        const message1 = handshake.writeMessage1();
        socket.send(message1);
        trace?.({ stage: 'message1', bytes: message1.length });
      } catch (error) {
        fail(error);
      }
    };
    ws.addEventListener('open', onOpen);
    ws.addEventListener('close', onEarlyClose);
    // A refused or reset connection is reported by 'close' (1006) after this 'error'; `ws` also needs an 'error' listener.
    ws.addEventListener('error', (event: { error?: unknown }) => {
      if (socket === undefined) openError ??= event.error ?? new Error('WebSocket error event');
    });
  });
}
