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
import { HandshakeTimeoutError, InvalidArgumentError, MalformedMessageError, MessageTooLargeError } from '../errors.js';
import { MAX_MESSAGE_BYTES } from '../e2e2/constants.js';
import { Channel } from './channel.js';
import { closeCodeFor, closeReason, errorForClose } from './close-codes.js';
import { adaptSocket, type MessageSocket } from './socket.js';

/** Defaults shared by the client and the server (README "Limits"). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
/** One record or handshake message is at most 65,535 bytes (Noise §3), so no valid message is larger. */
export const DEFAULT_MAX_MESSAGE_BYTES = MAX_MESSAGE_BYTES;

/** A handshake step, for demos and logs: the key stages with fingerprints, and the wire messages. */
export type ConnectTraceEvent =
  | TraceEvent
  | { stage: 'open'; url: string }
  | { stage: 'message1' | 'message2' | 'confirm'; bytes: number };

/** Anything that makes an open-able WebSocket for a URL (the WHATWG constructor, or `ws` in Node). */
export type WebSocketFactory = (url: string, maxMessageBytes: number) => unknown;

export interface ConnectOptions {
  /** The API key: the token `e2e2_<keyId>_<secret>` or `{ keyId, secret }`. */
  apiKey: string | ApiKey;
  /** Application context mixed into the prologue; must equal the server's (default: empty). */
  context?: string | Uint8Array;
  /** Whole handshake, from opening the WebSocket to sending the key confirmation, ms. Default 10,000. */
  handshakeTimeoutMs?: number;
  /** Largest incoming message accepted, bytes. Default and maximum 65,535. */
  maxMessageBytes?: number;
  /** How long a close waits for the server's close frame, ms. Default 5,000. */
  closeTimeoutMs?: number;
  /** Keep our direction open after the server's CLOSE record (byte-stream tunnels). Default false. */
  allowHalfOpen?: boolean;
  /** Each sending key encrypts at most this many records (SPEC.md §7). Default 65,536. */
  rekeyAfterRecords?: number;
  /** Called at each handshake step (K1, K2, K3 fingerprints; message sizes). Never sees a secret. */
  trace?: (event: ConnectTraceEvent) => void;
  /** Where the WebSocket comes from. Default: the global `WebSocket`. */
  WebSocket?: new (url: string) => unknown;
}

interface WhatwgEvents {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: { code?: number; reason?: string }) => void): void;
  removeEventListener(type: string, listener: (event: { code?: number; reason?: string }) => void): void;
  close(code?: number, reason?: string): void;
}

/** @internal An integer option in [1, max], or the default. */
export function positiveInteger(value: number | undefined, fallback: number, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > max) throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}`);
  return value;
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
  const handshakeTimeoutMs = positiveInteger(options.handshakeTimeoutMs, DEFAULT_HANDSHAKE_TIMEOUT_MS, 'handshakeTimeoutMs');
  const maxMessageBytes = positiveInteger(options.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES, 'maxMessageBytes', MAX_MESSAGE_BYTES);
  const closeTimeoutMs = positiveInteger(options.closeTimeoutMs, DEFAULT_CLOSE_TIMEOUT_MS, 'closeTimeoutMs');
  const trace = options.trace;
  const handshakeOptions: ClientHandshakeOptions = { apiKey: options.apiKey };
  if (options.context !== undefined) handshakeOptions.context = options.context;
  if (options.rekeyAfterRecords !== undefined) handshakeOptions.rekeyAfterRecords = options.rekeyAfterRecords;
  if (trace) handshakeOptions.trace = trace;
  // Parses and validates the API key before any network activity (ERR_INVALID_API_KEY).
  const handshake = createClientHandshake(handshakeOptions);
  const ws = factory(target, maxMessageBytes) as WhatwgEvents;

  return new Promise<Channel>((resolve, reject) => {
    let settled = false;
    let socket: MessageSocket | undefined;
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
    const fail = (error: unknown) => {
      if (settled || failing) return;
      failing = true;
      clearTimeout(timer);
      const code = closeCodeFor(error, socket?.whatwg ?? true);
      if (socket) {
        const drop = setTimeout(() => {
          socket!.terminate();
          settle(error);
        }, closeTimeoutMs);
        socket.onMessage = () => {};
        socket.onClose = () => {
          clearTimeout(drop);
          settle(error);
        };
        socket.close(code, closeReason(code));
      } else {
        if (ws.readyState < 2) ws.close(code, closeReason(code));
        settle(error);
      }
    };
    const timer = setTimeout(() => fail(new HandshakeTimeoutError(`the handshake did not complete within ${handshakeTimeoutMs} ms`)), handshakeTimeoutMs);
    const onEarlyClose = (event: { code?: number; reason?: string }) => settle(errorForClose(event.code ?? 1006, event.reason ?? '', 'handshake'));
    const onOpen = () => {
      ws.removeEventListener('close', onEarlyClose);
      socket = adaptSocket(ws);
      socket.onClose = (code, reason) => settle(errorForClose(code, reason, 'handshake'));
      socket.onText = () => fail(new MalformedMessageError('received a text WebSocket message during the handshake'));
      socket.onMessage = (message2) => {
        let session: ClientSession;
        try {
          if (message2.length > maxMessageBytes) throw new MessageTooLargeError(`a message exceeds ${maxMessageBytes} bytes`);
          trace?.({ stage: 'message2', bytes: message2.length });
          session = handshake.readMessage2(message2);
        } catch (error) {
          fail(error);
          return;
        }
        const confirmation = session.seal(new Uint8Array(0));
        socket!.send(confirmation);
        trace?.({ stage: 'confirm', bytes: confirmation.length });
        // The Channel takes over the socket's handlers synchronously: no record can slip by.
        const channel = new Channel(socket!, session, { maxMessageBytes, closeTimeoutMs, allowHalfOpen: options.allowHalfOpen === true });
        settle(undefined, channel);
      };
      trace?.({ stage: 'open', url: target });
      try {
        const message1 = handshake.writeMessage1();
        socket.send(message1);
        trace?.({ stage: 'message1', bytes: message1.length });
      } catch (error) {
        fail(error);
      }
    };
    ws.addEventListener('open', onOpen);
    ws.addEventListener('close', onEarlyClose);
    // A refused or reset connection is reported by 'close' (1006); `ws` also needs an 'error' listener.
    ws.addEventListener('error', () => {});
  });
}
