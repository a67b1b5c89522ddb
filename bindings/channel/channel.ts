/**
 * An established E2-E2 channel over one WebSocket: the same object on the client and on the
 * server. Browser-safe (no Node imports).
 *
 * Wire (README "Channel"): one binary WebSocket message = one E2-E2 record (SPEC.md §7).
 * `send()` seals one record, so message boundaries are kept (at most 65,518 bytes each);
 * `write()` is the stream form that splits any length into as many records as needed.
 * `end()` sends the CLOSE record that ends our direction; `close()` does that and then closes the
 * WebSocket (1000). A WebSocket that closes before the peer's CLOSE record is reported as a
 * truncated channel (ERR_CONNECTION_CLOSED), never as a clean end.
 *
 * Incoming messages go to 'message' listeners when there are any, otherwise they queue for the
 * async iterator (`for await (const m of channel)`); reading from the network pauses while the
 * queue holds more than 8 MiB, or while `pause()` is in effect.
 */
import type { Eapi } from '../e2e2/eapi.js';
import type { VerifiedEapi, VerifyEapiOptions } from '../e2e2/eapi.js';
import { ClientSession, ServerSession, type OpenResult, type Session } from '../e2e2/session.js';
import { ConnectionClosedError, InvalidArgumentError, InvalidStateError, MalformedMessageError, MessageTooLargeError, type E2E2Error } from '../errors.js';
import { MAX_RECORD_DATA_BYTES } from '../e2e2/constants.js';
import { CloseCode, closeCodeFor, closeReason, errorForClose } from './close-codes.js';
import type { MessageSocket } from './socket.js';

export { MAX_RECORD_DATA_BYTES };

export interface CloseInfo {
  /** WebSocket close code (README "Close codes"); 1006 when the connection dropped. */
  code: number;
  reason: string;
  /** Set when the channel did not end cleanly (the peer's CLOSE record, then the close frame). */
  error?: E2E2Error;
  /** Who started the close. */
  initiator: 'local' | 'remote';
}

/** @internal Settings the client and the server pass to each channel. */
export interface ChannelSettings {
  /** Largest incoming WebSocket message, bytes. */
  maxMessageBytes: number;
  /** How long a close waits for the peer's close frame before dropping the connection, ms. */
  closeTimeoutMs: number;
  /** Keep our direction open after the peer's CLOSE record (until `end()` or `close()`). */
  allowHalfOpen: boolean;
}

type MessageListener = (data: Uint8Array) => void;
type CloseListener = (info: CloseInfo) => void;
type EndListener = () => void;

const QUEUE_HIGH_WATER_BYTES = 8 << 20;
const QUEUE_LOW_WATER_BYTES = 1 << 20;
/** Per-message bookkeeping counted against the queue limit, so floods of empty messages are bounded too. */
const QUEUE_ENTRY_OVERHEAD_BYTES = 64;
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

export class Channel implements AsyncIterable<Uint8Array> {
  readonly role: 'client' | 'server';
  /** The API key id the client authenticated with (public). */
  readonly keyId: string;
  /** Hex of the 16-byte session id both sides derive from K3 (never sent during the handshake). */
  readonly sessionId: string;
  /** Resolves once the WebSocket is closed, with how it ended. Never rejects. */
  readonly closed: Promise<CloseInfo>;

  readonly #socket: MessageSocket;
  readonly #session: Session;
  readonly #settings: ChannelSettings;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #sentClose = false;
  #receivedClose = false;
  #closeInfo: CloseInfo | undefined;
  #pendingError: E2E2Error | undefined;
  /** Who acted first: our end()/close()/failure, or the peer's CLOSE record or close frame. */
  #initiator: 'local' | 'remote' | undefined;
  #resolveClosed!: (info: CloseInfo) => void;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #messageListeners = new Set<MessageListener>();
  #closeListeners = new Set<CloseListener>();
  #endListeners = new Set<EndListener>();
  #queue: Uint8Array[] = [];
  /** Async iterators currently running. */
  #iterators = 0;
  #queuedBytes = 0;
  #queuePaused = false;
  #userPaused = false;
  #waiters: { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: unknown) => void }[] = [];
  #bytesSent = 0;
  #bytesReceived = 0;

  /** @internal Built by `connect()` and by the server once the handshake is complete. */
  constructor(socket: MessageSocket, session: Session, settings: ChannelSettings) {
    this.#socket = socket;
    this.#session = session;
    this.#settings = settings;
    this.role = session.role;
    this.keyId = session.keyId;
    this.sessionId = session.sessionId;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    socket.onMessage = (bytes) => this.#receive(bytes);
    socket.onText = () => this.#fail(new MalformedMessageError('received a text WebSocket message; E2-E2 messages are binary'));
    socket.onClose = (code, reason) => this.#onSocketClose(code, reason);
  }

  /** Application bytes sent and received so far. */
  get bytesSent(): number {
    return this.#bytesSent;
  }
  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  /** Bytes queued in the WebSocket and not yet handed to the network. */
  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  /** 'open', 'closing' (a close started) or 'closed' (the WebSocket is closed). */
  get state(): 'open' | 'closing' | 'closed' {
    return this.#state;
  }

  /** True while we may still send (our CLOSE record not yet sent). */
  get writable(): boolean {
    return this.#state !== 'closed' && !this.#sentClose && this.#pendingError === undefined;
  }

  /** Send one message (bytes, or a string as UTF-8) of at most 65,518 bytes as one record. */
  send(data: Uint8Array | string): void {
    const bytes = this.#outgoing(data);
    if (bytes.length > MAX_RECORD_DATA_BYTES) {
      throw new InvalidArgumentError(`a message is at most ${MAX_RECORD_DATA_BYTES} bytes; use write() for streams`);
    }
    this.#socket.send(this.#session.seal(bytes));
    this.#bytesSent += bytes.length;
  }

  /** Send a chunk of a byte stream, of any length, as consecutive records of at most 65,518 bytes. */
  write(data: Uint8Array | string): void {
    const bytes = this.#outgoing(data);
    let offset = 0;
    do {
      const end = Math.min(offset + MAX_RECORD_DATA_BYTES, bytes.length);
      this.#socket.send(this.#session.seal(bytes.subarray(offset, end)));
      offset = end;
    } while (offset < bytes.length);
    this.#bytesSent += bytes.length;
  }

  /**
   * Rekey our sending direction (Noise Rekey(), SPEC.md §7): sends a REKEY record carrying
   * `data` (default: none; delivered like any message when non-empty), then uses the next key.
   */
  rekey(data: Uint8Array | string = EMPTY): void {
    const bytes = this.#outgoing(data);
    if (bytes.length > MAX_RECORD_DATA_BYTES) throw new InvalidArgumentError(`a message is at most ${MAX_RECORD_DATA_BYTES} bytes`);
    this.#socket.send(this.#session.rekey(bytes));
    this.#bytesSent += bytes.length;
  }

  /**
   * Client channels: issue an EAPI bound to this session (SPEC.md §8); `eapi.sign(request)` gives
   * the Authorization header value for one request. The EAPI secret is never sent.
   */
  issueEapi(options: { scope: string; expiresAt: number; index?: number }): Eapi {
    if (!(this.#session instanceof ClientSession)) throw new InvalidStateError('only a client channel issues EAPIs');
    return this.#session.issueEapi(options);
  }

  /** Server channels: verify an EAPI-signed request made with this channel's session (SPEC.md §8.4). */
  verifyEapi(options: VerifyEapiOptions): VerifiedEapi {
    if (!(this.#session instanceof ServerSession)) throw new InvalidStateError('only a server channel verifies EAPIs');
    return this.#session.verifyEapi(options);
  }

  /** Resolves when everything sent so far has left the process (backpressure for streams). */
  drained(): Promise<void> {
    return this.#socket.drained();
  }

  /** Stop reading from the network (flow control); messages already received are still delivered. */
  pause(): void {
    this.#userPaused = true;
    this.#socket.pause();
  }

  resume(): void {
    this.#userPaused = false;
    if (!this.#queuePaused) this.#socket.resume();
  }

  /**
   * 'message': each incoming message. 'end': the peer's CLOSE record arrived (no more messages).
   * 'close': the WebSocket closed. Returns a function that removes the listener.
   */
  on(event: 'message', listener: MessageListener): () => void;
  on(event: 'end', listener: EndListener): () => void;
  on(event: 'close', listener: CloseListener): () => void;
  on(event: 'message' | 'end' | 'close', listener: MessageListener | EndListener | CloseListener): () => void {
    if (typeof listener !== 'function') throw new InvalidArgumentError('listener must be a function');
    if (event === 'message') {
      const l = listener as MessageListener;
      this.#messageListeners.add(l);
      // Hand over whatever arrived before the first listener, in order.
      if (this.#queue.length > 0) {
        const queued = this.#queue;
        this.#queue = [];
        this.#queuedBytes = 0;
        for (const m of queued) l(m);
        this.#updateQueuePause();
        if (this.#receivedClose && !this.#settings.allowHalfOpen) this.end();
      }
      return () => void this.#messageListeners.delete(l);
    }
    if (event === 'end') {
      const l = listener as EndListener;
      if (this.#receivedClose) queueMicrotask(l);
      else this.#endListeners.add(l);
      return () => void this.#endListeners.delete(l);
    }
    if (event === 'close') {
      const l = listener as CloseListener;
      if (this.#closeInfo) {
        const info = this.#closeInfo;
        queueMicrotask(() => l(info));
      } else this.#closeListeners.add(l);
      return () => void this.#closeListeners.delete(l);
    }
    throw new InvalidArgumentError("event must be 'message', 'end' or 'close'");
  }

  /**
   * Incoming messages in order. Ends after the peer's CLOSE record; throws the typed error when
   * the channel ends any other way (authentication failure, truncation, protocol violation).
   */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    this.#iterators++;
    try {
      for (;;) {
        const next = await this.#next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      this.#iterators--;
      // The application stopped reading after the peer ended: end our direction too.
      if (this.#receivedClose && !this.#settings.allowHalfOpen) this.end();
    }
  }

  /**
   * End our direction: send the CLOSE record (SPEC.md §7). The WebSocket closes (1000) once both
   * directions have ended. Sending afterwards throws ERR_CONNECTION_CLOSED.
   */
  end(): void {
    if (this.#state === 'closed' || this.#sentClose || this.#pendingError) return;
    this.#initiator ??= 'local';
    this.#sendCloseRecord();
    if (this.#receivedClose) this.#closeSocket(CloseCode.NORMAL);
  }

  /**
   * Close cleanly: the CLOSE record (unless already sent), then the WebSocket close frame with
   * 1000 (or 1001 when a server shuts down). Resolves when the WebSocket is closed, or after
   * `closeTimeoutMs` when the connection is dropped.
   */
  close(code: typeof CloseCode.NORMAL | typeof CloseCode.GOING_AWAY = CloseCode.NORMAL): Promise<CloseInfo> {
    if (code !== CloseCode.NORMAL && code !== CloseCode.GOING_AWAY) throw new InvalidArgumentError('close code must be 1000 or 1001');
    if (this.#state === 'open' && this.#pendingError === undefined) {
      this.#initiator ??= 'local';
      this.#sendCloseRecord();
      this.#closeSocket(code);
    }
    return this.closed;
  }

  /**
   * End the channel at once because of `error`: no CLOSE record; the WebSocket closes with the
   * code mapped from the error (1011 for errors that are not E2-E2 errors).
   */
  destroy(error?: unknown): Promise<CloseInfo> {
    this.#fail(error ?? new ConnectionClosedError('the channel was destroyed', { closeCode: CloseCode.INTERNAL_ERROR }));
    return this.closed;
  }

  // ---------------------------------------------------------------- internals

  #outgoing(data: Uint8Array | string): Uint8Array {
    if (!this.writable) {
      const info = this.#closeInfo;
      throw new ConnectionClosedError(this.#sentClose ? 'this side of the channel has ended' : 'the channel is closed', {
        closeCode: info?.code ?? CloseCode.NORMAL,
        closeReason: info?.reason ?? '',
      });
    }
    if (typeof data === 'string') return encoder.encode(data);
    if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('data must be a Uint8Array or a string');
    return data;
  }

  #sendCloseRecord(): void {
    if (this.#sentClose) return;
    this.#sentClose = true;
    try {
      this.#socket.send(this.#session.close());
    } catch {
      // The session can be exhausted (ERR_NONCE_EXHAUSTED); the close frame still goes out.
    }
  }

  #closeSocket(code: number): void {
    if (this.#state === 'open') this.#state = 'closing';
    this.#socket.close(code, closeReason(code));
    this.#closeTimer ??= setTimeout(() => this.#socket.terminate(), this.#settings.closeTimeoutMs);
  }

  #receive(bytes: Uint8Array): void {
    if (this.#state === 'closed' || this.#pendingError) return;
    if (bytes.length > this.#settings.maxMessageBytes) {
      this.#fail(new MessageTooLargeError(`a message exceeds ${this.#settings.maxMessageBytes} bytes`));
      return;
    }
    let result: OpenResult;
    try {
      result = this.#session.open(bytes);
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (result.type === 'close') {
      this.#initiator ??= 'remote';
      this.#receivedClose = true;
      // An iterator that is not waiting is still working on the last message it got.
      const consumerBusy = this.#iterators > 0 && this.#waiters.length === 0;
      for (const l of this.#endListeners) l();
      this.#endListeners.clear();
      this.#settleWaitersIfDrained();
      if (this.#sentClose) this.#closeSocket(CloseCode.NORMAL);
      // Without half-open our direction ends too, but only once the application has handled every
      // message that came before the CLOSE record (it may still answer them): now if nothing is
      // pending, else when the iterator asks for more or stops.
      else if (!this.#settings.allowHalfOpen && this.#queue.length === 0 && !consumerBusy) this.end();
      return;
    }
    // A REKEY record without data only switches keys; with data it is also a message.
    if (result.type === 'rekey' && result.data.length === 0) return;
    this.#bytesReceived += result.data.length;
    this.#deliver(result.data);
  }

  #deliver(data: Uint8Array): void {
    if (this.#messageListeners.size > 0) {
      for (const l of this.#messageListeners) l(data);
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.resolve({ done: false, value: data });
      return;
    }
    this.#queue.push(data);
    this.#queuedBytes += data.length + QUEUE_ENTRY_OVERHEAD_BYTES;
    this.#updateQueuePause();
  }

  #updateQueuePause(): void {
    if (!this.#queuePaused && this.#queuedBytes > QUEUE_HIGH_WATER_BYTES) {
      this.#queuePaused = true;
      this.#socket.pause();
    } else if (this.#queuePaused && this.#queuedBytes < QUEUE_LOW_WATER_BYTES) {
      this.#queuePaused = false;
      if (!this.#userPaused) this.#socket.resume();
    }
  }

  #next(): Promise<IteratorResult<Uint8Array>> {
    const queued = this.#queue.shift();
    if (queued !== undefined) {
      this.#queuedBytes -= queued.length + QUEUE_ENTRY_OVERHEAD_BYTES;
      this.#updateQueuePause();
      return Promise.resolve({ done: false, value: queued });
    }
    if (this.#receivedClose) {
      if (!this.#settings.allowHalfOpen) this.end();
      return Promise.resolve({ done: true, value: undefined });
    }
    if (this.#closeInfo) {
      return this.#closeInfo.error ? Promise.reject(this.#closeInfo.error) : Promise.resolve({ done: true, value: undefined });
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Iterators waiting on an empty queue end when no more messages can come. */
  #settleWaitersIfDrained(): void {
    if (this.#queue.length > 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    const error = this.#receivedClose ? undefined : this.#closeInfo?.error;
    for (const w of waiters) {
      if (error) w.reject(error);
      else w.resolve({ done: true, value: undefined });
    }
  }

  /** End the channel because of `error` found on our side: close with the mapped code, no CLOSE record. */
  #fail(error: unknown): void {
    if (this.#state === 'closed' || this.#pendingError) return;
    this.#initiator ??= 'local';
    this.#pendingError = error as E2E2Error;
    this.#closeSocket(closeCodeFor(error, this.#socket.whatwg));
  }

  #onSocketClose(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    const initiator = this.#initiator ?? 'remote';
    this.#state = 'closed';
    if (this.#closeTimer) clearTimeout(this.#closeTimer);
    this.#session.dispose();
    // Clean: the peer's CLOSE record arrived, or we ended and the peer answered with 1000.
    // Anything else is an error; a normal close frame without a CLOSE record is a truncation.
    let error = this.#pendingError;
    if (error === undefined && !this.#receivedClose && !(this.#sentClose && code === CloseCode.NORMAL)) {
      error =
        code === CloseCode.NORMAL || code === CloseCode.GOING_AWAY || code === 1005
          ? new ConnectionClosedError('the channel was truncated: the WebSocket closed before a CLOSE record', { closeCode: code, closeReason: reason })
          : errorForClose(code, reason, 'session');
    }
    const info: CloseInfo = error ? { code, reason, error, initiator } : { code, reason, initiator };
    this.#closeInfo = info;
    this.#settleWaitersIfDrained();
    for (const l of this.#closeListeners) l(info);
    this.#closeListeners.clear();
    this.#endListeners.clear();
    this.#resolveClosed(info);
  }
}
