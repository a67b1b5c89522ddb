/**
 * An established E2-E2 channel over one WebSocket: the same object on the client and on the
 * server. Browser-safe (no Node imports). The wire rules are SPEC.md §7.7 (the WebSocket binding).
 *
 * - One binary WebSocket message = one E2-E2 record. `send()` seals one record (message
 *   boundaries kept, at most 65,518 bytes); `write()` is the stream form that splits any length
 *   and coalesces small chunks of one synchronous run into one record (boundaries not kept).
 * - Backpressure the Node way: `send()`/`write()` return false once `writableHighWaterMark` bytes
 *   wait in the socket; then wait for 'drain' (or `await drained()`). Incoming messages nobody
 *   reads queue up to `readableHighWaterMark`, then reading from the network pauses.
 * - A clean end is the peer's CLOSE record and nothing else: close frames are not authenticated,
 *   so a WebSocket that closes before the peer's CLOSE record is a truncation
 *   (ERR_CONNECTION_CLOSED), whatever its close code.
 * - Application code cannot take the process down: a 'message', 'end' or 'drain' listener that
 *   throws closes this channel with 1011 (ERR_APPLICATION) and is reported to `reportError` (the
 *   server's 'error' event); a 'close' listener that throws is only reported.
 * - Keepalive (where the socket can ping): after `keepaliveIntervalMs` without a frame from the
 *   peer, ping; nothing within `keepaliveTimeoutMs` more: close 4008 (ERR_KEEPALIVE_TIMEOUT).
 */
import type { Eapi } from '../e2e2/eapi.js';
import type { VerifiedEapi, VerifyEapiOptions } from '../e2e2/eapi.js';
import { ClientSession, ServerSession, sealWithHeadroom, type OpenResult, type Session } from '../e2e2/session.js';
import {
  ApplicationError,
  ConnectionClosedError,
  InvalidArgumentError,
  InvalidStateError,
  KeepaliveTimeoutError,
  MalformedMessageError,
  MessageTooLargeError,
  PayloadTooLargeError,
  isE2E2Error,
  type E2E2Error,
} from '../errors.js';
import { MAX_RECORD_DATA_BYTES, MIN_RECORD_BYTES } from '../e2e2/constants.js';
import { CloseCode, closeCodeFor, closeReason, errorForClose } from './close-codes.js';
import type { MessageSocket } from './socket.js';
import { channelWebStreams, type ChannelWebStreams, type WebStreamsOptions } from './web-streams.js';

export { MAX_RECORD_DATA_BYTES };

/** How a channel ended: the WebSocket close code and reason, who started it, and the typed error unless it was a clean close (both CLOSE records). */
export interface CloseInfo {
  /** WebSocket close code (README "Close codes"); 1006 when the connection dropped. */
  code: number;
  reason: string;
  /** Set when the channel did not end cleanly (the peer's CLOSE record, then the close frame). */
  error?: E2E2Error;
  /** Who started the close. */
  initiator: 'local' | 'remote';
}

/** @internal Settings the client and the server pass to each channel (defaults: ./limits.ts). */
export interface ChannelSettings {
  /** Largest incoming WebSocket message, bytes. */
  maxMessageBytes: number;
  /** How long a close waits for the peer's CLOSE record, and then for its close frame, ms. */
  closeTimeoutMs: number;
  /** Keep our direction open after the peer's CLOSE record (until `end()` or `close()`). */
  allowHalfOpen: boolean;
  /** `send()`/`write()` return false once this many bytes wait in the socket. */
  writableHighWaterMark: number;
  /** Reading from the network pauses while this many unread bytes are queued. */
  readableHighWaterMark: number;
  /** Ping after this long without a frame from the peer, ms; 0 = no keepalive. */
  keepaliveIntervalMs: number;
  /** Close with 4008 when nothing arrives this long after a ping, ms. */
  keepaliveTimeoutMs: number;
  /** End the channel (CLOSE record, then 4007) this long after it opened, ms; 0 = never. */
  maxAgeMs: number;
  /** Where errors from application listeners go (never thrown into the socket). */
  reportError: (error: E2E2Error) => void;
  /** Called once when the session's EAPIs end: the first CLOSE record sent or received, an error, or the socket's close. */
  onSessionEnding?: () => void;
}

/** A 'message' listener: one decrypted message. */
export type MessageListener = (data: Uint8Array) => void;
/** A 'close' listener. */
export type CloseListener = (info: CloseInfo) => void;
/** An 'end' or 'drain' listener. */
export type VoidListener = () => void;
type Timer = ReturnType<typeof setTimeout>;

/**
 * write() chunks shorter than this are coalesced: copied into one pending record, sealed once at
 * the end of the synchronous run (a microtask) or when the next chunk would not fit, so many small
 * writes cost one record, one WASM call and one frame (what TLS does with small writes). Longer
 * chunks are sealed at once, without the copy.
 */
const COALESCE_BELOW_BYTES = 16 * 1024;
/** First size of a channel's coalescing buffer; it doubles as needed, up to one record's data. */
const COALESCE_INITIAL_BYTES = 4096;

/** Per-message bookkeeping counted against the queue limit, so floods of empty messages are bounded too. */
const QUEUE_ENTRY_OVERHEAD_BYTES = 64;
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

function unrefTimer(timer: Timer): Timer {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

/** An authenticated E2-E2 channel over one WebSocket (SPEC.md §7.7): send()/write() messages, iterate or listen for them, close() with CLOSE records; backpressure through send()'s boolean and 'drain'. */
export class Channel implements AsyncIterable<Uint8Array> {
  readonly role: 'client' | 'server';
  /** The API key id the client authenticated with (public). */
  readonly keyId: string;
  /** True when the handshake was E2-E2 v2-hybrid (X25519 + ML-KEM-768, SPEC.md §13). */
  readonly postQuantum: boolean;
  /** Hex of the 16-byte session id both sides derive from K3 (never sent during the handshake). */
  readonly sessionId: string;
  /** Resolves once the WebSocket is closed, with how it ended. Never rejects. */
  readonly closed: Promise<CloseInfo>;

  readonly #socket: MessageSocket;
  readonly #session: Session;
  readonly #settings: ChannelSettings;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #endingNotified = false;
  #sentClose = false;
  #receivedClose = false;
  /** Our close frame went out: nothing the peer sends afterwards is processed. */
  #closeFrameSent = false;
  /** The close frame code to send once both CLOSE records are through (1000, or what close() asked for). */
  #closeCode: number = CloseCode.NORMAL;
  #closeInfo: CloseInfo | undefined;
  #pendingError: E2E2Error | undefined;
  /** Who acted first: our end()/close()/failure, or the peer's CLOSE record or close frame. */
  #initiator: 'local' | 'remote' | undefined;
  #resolveClosed!: (info: CloseInfo) => void;
  #graceTimer: Timer | undefined;
  #closeTimer: Timer | undefined;
  #keepaliveTimer: Timer | undefined;
  #ageTimer: Timer | undefined;
  /** Frames seen from the peer (any kind); keepalive compares it across an interval. */
  #activity = 0;
  #messageListeners = new Set<MessageListener>();
  #closeListeners = new Set<CloseListener>();
  #endListeners = new Set<VoidListener>();
  #drainListeners = new Set<VoidListener>();
  #needDrain = false;
  #queue: Uint8Array[] = [];
  /** Async iterators currently running. */
  #iterators = 0;
  #queuedBytes = 0;
  #queuePaused = false;
  #userPaused = false;
  #waiters: { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: unknown) => void }[] = [];
  #bytesSent = 0;
  #bytesReceived = 0;
  /** Small write() chunks waiting to be sealed as one record: #coalesced[0, #coalescedBytes). */
  #coalesced: Uint8Array | undefined;
  #coalescedBytes = 0;
  #flushScheduled = false;
  readonly #flushTask = () => this.#flushFromTask();

  /** @internal Built by `connect()` and by the server once the handshake is complete. */
  constructor(socket: MessageSocket, session: Session, settings: ChannelSettings) {
    this.#socket = socket;
    this.#session = session;
    this.#settings = settings;
    this.role = session.role;
    this.keyId = session.keyId;
    this.postQuantum = session.postQuantum;
    this.sessionId = session.sessionId;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    socket.onMessage = (bytes) => this.#receive(bytes);
    socket.onText = () => this.#fail(new MalformedMessageError('received a text WebSocket message; E2-E2 messages are binary'));
    socket.onActivity = () => void this.#activity++;
    socket.onProtocolError = (error) => this.#noteError(error);
    socket.onClose = (code, reason) => this.#onSocketClose(code, reason);
    socket.onFault = (error) => this.#applicationError(error, 'an internal channel handler threw');
    if (settings.keepaliveIntervalMs > 0) this.#armKeepalive();
    if (settings.maxAgeMs > 0) this.#ageTimer = unrefTimer(setTimeout(() => this.#closeGracefully(CloseCode.SESSION_EXPIRED), settings.maxAgeMs));
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

  /** True after send()/write() returned false, until 'drain'. */
  get writableNeedDrain(): boolean {
    return this.#needDrain;
  }

  /** 'open', 'closing' (a close started) or 'closed' (the WebSocket is closed). */
  get state(): 'open' | 'closing' | 'closed' {
    return this.#state;
  }

  /** True when our direction stays open after the peer's CLOSE record (the `allowHalfOpen` option). */
  get allowHalfOpen(): boolean {
    return this.#settings.allowHalfOpen;
  }

  /** True while we may still send (our CLOSE record not yet sent). */
  get writable(): boolean {
    return this.#state !== 'closed' && !this.#sentClose && this.#pendingError === undefined;
  }

  /**
   * Send one message (bytes, or a string as UTF-8) of at most 65,518 bytes as one record
   * (ERR_PAYLOAD_TOO_LARGE beyond). Returns false once the socket holds `writableHighWaterMark`
   * bytes: wait for 'drain' before sending more.
   */
  send(data: Uint8Array | string): boolean {
    const bytes = this.#outgoing(data);
    if (bytes.length > MAX_RECORD_DATA_BYTES) {
      throw new PayloadTooLargeError(`a message is at most ${MAX_RECORD_DATA_BYTES} bytes; use write() for streams`);
    }
    this.#flushWrites();
    this.#sendRecord(bytes, false);
    this.#bytesSent += bytes.length;
    return this.#checkWritable();
  }

  /** Send a chunk of a byte stream, of any length, as consecutive records of at most 65,518 bytes. Returns as send(). */
  write(data: Uint8Array | string): boolean {
    const bytes = this.#outgoing(data);
    if (bytes.length > 0 && bytes.length < COALESCE_BELOW_BYTES) {
      this.#coalesce(bytes);
      this.#bytesSent += bytes.length;
      return this.#checkWritable();
    }
    this.#flushWrites();
    let offset = 0;
    do {
      const end = Math.min(offset + MAX_RECORD_DATA_BYTES, bytes.length);
      this.#sendRecord(bytes.subarray(offset, end), false);
      offset = end;
    } while (offset < bytes.length);
    this.#bytesSent += bytes.length;
    return this.#checkWritable();
  }

  /**
   * Rekey our sending direction (Noise Rekey(), SPEC.md §7.3): sends a REKEY record carrying
   * `data` (default: none; delivered like any message when non-empty), then uses the next key.
   */
  rekey(data: Uint8Array | string = EMPTY): boolean {
    const bytes = this.#outgoing(data);
    if (bytes.length > MAX_RECORD_DATA_BYTES) throw new PayloadTooLargeError(`a message is at most ${MAX_RECORD_DATA_BYTES} bytes`);
    this.#flushWrites();
    this.#sendRecord(bytes, true);
    this.#bytesSent += bytes.length;
    return this.#checkWritable();
  }

  /**
   * Client channels: issue an EAPI bound to this session (SPEC.md §8); `eapi.sign(request)` gives
   * the Authorization header value for one request. The EAPI secret is never sent.
   */
  issueEapi(options: { scope: string; expiresAt: number; index?: number }): Eapi {
    if (!(this.#session instanceof ClientSession)) throw new InvalidStateError('only a client channel issues EAPIs');
    return this.#session.issueEapi(options);
  }

  /**
   * Server channels: verify an EAPI-signed request made with this channel's session (SPEC.md
   * §8.4). Throws ERR_SESSION_CLOSED / ERR_SESSION_DISPOSED as soon as any close has started.
   */
  verifyEapi(options: VerifyEapiOptions): VerifiedEapi {
    if (!(this.#session instanceof ServerSession)) throw new InvalidStateError('only a server channel verifies EAPIs');
    return this.#session.verifyEapi(options);
  }

  /** Resolves when everything sent so far has left the process (or the channel closed). */
  drained(): Promise<void> {
    this.#flushSafely();
    return this.#socket.drained();
  }

  /** Stop reading from the network (flow control); messages already received are still delivered. */
  pause(): void {
    this.#userPaused = true;
    if (!this.#closeFrameSent) this.#socket.pause();
  }

  /** Read from the network again after pause(). */
  resume(): void {
    this.#userPaused = false;
    if (!this.#queuePaused) this.#socket.resume();
  }

  /**
   * 'message': each incoming message. 'end': the peer's CLOSE record arrived (no more messages).
   * 'drain': the socket's queue emptied after send()/write() returned false. 'close': the
   * WebSocket closed. Returns a function that removes the listener.
   */
  on(event: 'message', listener: MessageListener): () => void;
  on(event: 'end' | 'drain', listener: VoidListener): () => void;
  on(event: 'close', listener: CloseListener): () => void;
  on(event: 'message' | 'end' | 'drain' | 'close', listener: MessageListener | VoidListener | CloseListener): () => void {
    if (typeof listener !== 'function') throw new InvalidArgumentError('listener must be a function');
    switch (event) {
      case 'message': {
        const l = listener as MessageListener;
        this.#messageListeners.add(l);
        // Hand over whatever arrived before the first listener, in order.
        if (this.#queue.length > 0) {
          const queued = this.#queue;
          this.#queue = [];
          this.#queuedBytes = 0;
          for (const m of queued) if (!this.#call(l, m)) break;
          this.#updateQueuePause();
          if (this.#receivedClose && !this.#settings.allowHalfOpen) this.end();
        }
        return () => void this.#messageListeners.delete(l);
      }
      case 'end': {
        const l = listener as VoidListener;
        if (this.#receivedClose) queueMicrotask(() => this.#call(l));
        else this.#endListeners.add(l);
        return () => void this.#endListeners.delete(l);
      }
      case 'drain': {
        const l = listener as VoidListener;
        this.#drainListeners.add(l);
        return () => void this.#drainListeners.delete(l);
      }
      case 'close': {
        const l = listener as CloseListener;
        if (this.#closeInfo) {
          const info = this.#closeInfo;
          queueMicrotask(() => this.#callAfterClose(l, info));
        } else this.#closeListeners.add(l);
        return () => void this.#closeListeners.delete(l);
      }
      default:
        throw new InvalidArgumentError("event must be 'message', 'end', 'drain' or 'close'");
    }
  }

  /**
   * The channel as WHATWG streams of bytes (browsers, Deno, Bun, Workers, Node; README "Streams"):
   * `readable` yields the incoming messages and closes at the peer's CLOSE record; `writable`
   * writes as write() does and its close() sends our CLOSE record. Backpressure both ways (the
   * channel pauses while the readable's queue is full). Cancel or abort ends the channel at once
   * (1011, no CLOSE record). Once per channel: the streams take over its incoming messages.
   */
  webStreams(options?: WebStreamsOptions): ChannelWebStreams {
    return channelWebStreams(this, options);
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
   * End our direction: send the CLOSE record (SPEC.md §7.2). The WebSocket closes (1000) once both
   * directions have ended. Sending afterwards throws ERR_CONNECTION_CLOSED.
   */
  end(): void {
    if (this.#state === 'closed' || this.#sentClose || this.#pendingError) return;
    this.#initiator ??= 'local';
    this.#sendCloseRecord();
    if (this.#receivedClose) this.#closeSocket(this.#closeCode);
  }

  /**
   * Close cleanly: the CLOSE record (unless already sent), then, once the peer's CLOSE record has
   * arrived (at most `closeTimeoutMs` later), the close frame with 1000 (or 1001 when a server
   * shuts down). Resolves when the WebSocket is closed. If the peer's CLOSE does not come in
   * time the channel closes anyway and `closed` reports the truncation.
   */
  close(code: typeof CloseCode.NORMAL | typeof CloseCode.GOING_AWAY = CloseCode.NORMAL): Promise<CloseInfo> {
    if (code !== CloseCode.NORMAL && code !== CloseCode.GOING_AWAY) throw new InvalidArgumentError('close code must be 1000 or 1001');
    this.#closeGracefully(code);
    return this.closed;
  }

  /**
   * End the channel at once because of `error`: no CLOSE record; the WebSocket closes with the
   * code mapped from the error (1011 for errors that are not E2-E2 errors, which become the
   * `cause` of an ERR_APPLICATION). Never throws.
   */
  destroy(error?: unknown): Promise<CloseInfo> {
    this.#fail(
      error === undefined
        ? new ConnectionClosedError('the channel was destroyed', { closeCode: CloseCode.INTERNAL_ERROR })
        : isE2E2Error(error)
          ? error
          : new ApplicationError('the channel was destroyed because of an application error', { cause: error }),
    );
    return this.closed;
  }

  /** @internal End the channel now with `error` (the server's revocation: ERR_KEY_REVOKED). */
  abort(error: E2E2Error): void {
    this.#fail(error);
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

  /** Copy a small write() chunk into the pending record; seal that first if the chunk does not fit. */
  #coalesce(bytes: Uint8Array): void {
    if (this.#coalescedBytes + bytes.length > MAX_RECORD_DATA_BYTES) this.#flushWrites();
    const needed = this.#coalescedBytes + bytes.length;
    let buffer = this.#coalesced;
    if (buffer === undefined || buffer.length < needed) {
      let size = buffer === undefined ? COALESCE_INITIAL_BYTES : buffer.length * 2;
      while (size < needed) size *= 2;
      const grown = new Uint8Array(Math.min(size, MAX_RECORD_DATA_BYTES));
      if (buffer !== undefined) grown.set(buffer.subarray(0, this.#coalescedBytes));
      this.#coalesced = buffer = grown;
    }
    buffer.set(bytes, this.#coalescedBytes);
    this.#coalescedBytes = needed;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flushTask);
    }
  }

  /** Seal the pending small writes as one record, before anything else is sent (order is kept). */
  #flushWrites(): void {
    const length = this.#coalescedBytes;
    if (length === 0) return;
    this.#coalescedBytes = 0;
    // The seal copies the bytes into WASM at once: the buffer is free again when it returns.
    this.#sendRecord(this.#coalesced!.subarray(0, length), false);
  }

  /** The end of the synchronous run that wrote: seal what is pending. Runs outside any caller, so nothing may throw. */
  #flushFromTask(): void {
    this.#flushScheduled = false;
    this.#flushSafely();
  }

  /** Seal pending writes where no error may escape (a failure ends the channel); dropped once we can no longer send. */
  #flushSafely(): void {
    if (!this.writable) {
      this.#coalescedBytes = 0;
      return;
    }
    try {
      this.#flushWrites();
    } catch (error) {
      this.#fail(isE2E2Error(error) ? error : new ApplicationError('sealing coalesced writes failed', { cause: error }));
    }
  }

  /** Seal one record (REKEY when `rekey`) straight into a buffer with room for the socket's frame header, and send it. */
  #sendRecord(bytes: Uint8Array, rekey: boolean): void {
    const socket = this.#socket;
    const headroom = socket.headroom(bytes.length + MIN_RECORD_BYTES);
    socket.sendReserved(sealWithHeadroom(this.#session, bytes, rekey, headroom), headroom);
  }

  /** After a send: false (and a 'drain' to come) once the socket holds the high-water mark. */
  #checkWritable(): boolean {
    if (this.#socket.bufferedAmount < this.#settings.writableHighWaterMark) return true;
    if (!this.#needDrain) {
      this.#needDrain = true;
      void this.#socket.drained().then(() => {
        this.#needDrain = false;
        // After the close there are none: #onSocketClose cleared them.
        for (const l of this.#drainListeners) if (!this.#call(l)) return;
      });
    }
    return false;
  }

  /** Call an application listener; a throw closes this channel (1011). Returns false when it threw. */
  #call<A extends unknown[]>(listener: (...args: A) => void, ...args: A): boolean {
    try {
      listener(...args);
      return true;
    } catch (error) {
      this.#applicationError(error, 'a channel listener threw');
      return false;
    }
  }

  #callAfterClose(listener: CloseListener, info: CloseInfo): void {
    try {
      listener(info);
    } catch (error) {
      this.#report(new ApplicationError("a channel 'close' listener threw", { cause: error }));
    }
  }

  #applicationError(error: unknown, message: string): void {
    const wrapped = new ApplicationError(message, { cause: error });
    this.#report(wrapped);
    this.#fail(wrapped);
  }

  #report(error: E2E2Error): void {
    try {
      this.#settings.reportError(error);
    } catch {
      // A reporter that throws has nowhere left to report to.
    }
  }

  /** EAPIs end with the first sign of a close (SPEC.md §7.7.8); tell the owner once. */
  #sessionEnding(): void {
    const notify = this.#settings.onSessionEnding;
    if (notify === undefined || this.#endingNotified) return;
    this.#endingNotified = true;
    try {
      notify();
    } catch (error) {
      this.#applicationError(error, 'the session-ending hook threw');
    }
  }

  #sendCloseRecord(): void {
    if (this.#sentClose) return;
    // Pending small writes precede the CLOSE record (a failure here must not stop the close).
    try {
      if (this.writable) this.#flushWrites();
    } catch {
      this.#coalescedBytes = 0;
    }
    this.#sentClose = true;
    this.#sessionEnding();
    try {
      this.#socket.send(this.#session.close());
    } catch {
      // The session can be exhausted (ERR_NONCE_EXHAUSTED); the close frame still goes out.
    }
  }

  /** CLOSE record now; the close frame with `code` once the peer's CLOSE arrived, or after closeTimeoutMs. */
  #closeGracefully(code: number): void {
    if (this.#state === 'closed' || this.#pendingError || this.#closeFrameSent) return;
    this.#initiator ??= 'local';
    this.#closeCode = code;
    this.#sendCloseRecord();
    if (this.#receivedClose) this.#closeSocket(code);
    else this.#graceTimer ??= setTimeout(() => this.#closeSocket(this.#closeCode), this.#settings.closeTimeoutMs);
  }

  #closeSocket(code: number): void {
    if (this.#closeFrameSent) return;
    this.#closeFrameSent = true;
    if (this.#state === 'open') this.#state = 'closing';
    clearTimeout(this.#graceTimer);
    clearTimeout(this.#keepaliveTimer);
    this.#socket.close(code, closeReason(code));
    this.#closeTimer = setTimeout(() => this.#socket.terminate(), this.#settings.closeTimeoutMs);
  }

  #armKeepalive(): void {
    const seen = this.#activity;
    this.#keepaliveTimer = unrefTimer(
      setTimeout(() => {
        // While we do not read, the peer's frames (pongs included) wait in the kernel: not its fault.
        if (this.#activity !== seen || this.#userPaused || this.#queuePaused) return this.#armKeepalive();
        if (!this.#socket.ping()) return;
        const pinged = this.#activity;
        this.#keepaliveTimer = unrefTimer(
          setTimeout(() => {
            if (this.#activity !== pinged || this.#userPaused || this.#queuePaused) return this.#armKeepalive();
            this.#fail(new KeepaliveTimeoutError(`no answer to a keepalive ping within ${this.#settings.keepaliveTimeoutMs} ms`));
          }, this.#settings.keepaliveTimeoutMs),
        );
      }, this.#settings.keepaliveIntervalMs),
    );
  }

  #receive(bytes: Uint8Array): void {
    if (this.#state === 'closed' || this.#pendingError || this.#closeFrameSent) return;
    if (bytes.length > this.#settings.maxMessageBytes) {
      this.#fail(new MessageTooLargeError(`a message exceeds ${this.#settings.maxMessageBytes} bytes`));
      return;
    }
    let result: OpenResult;
    try {
      result = this.#session.open(bytes);
    } catch (error) {
      this.#fail(error as E2E2Error);
      return;
    }
    if (result.type === 'close') {
      this.#initiator ??= 'remote';
      this.#receivedClose = true;
      this.#sessionEnding();
      // An iterator that is not waiting is still working on the last message it got.
      const consumerBusy = this.#iterators > 0 && this.#waiters.length === 0;
      const listeners = [...this.#endListeners];
      this.#endListeners.clear();
      for (const l of listeners) if (!this.#call(l)) return;
      this.#settleWaitersIfDrained();
      if (this.#sentClose) this.#closeSocket(this.#closeCode);
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
      for (const l of this.#messageListeners) if (!this.#call(l, data)) return;
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
    const high = this.#settings.readableHighWaterMark;
    if (!this.#queuePaused && this.#queuedBytes > high) {
      this.#queuePaused = true;
      if (!this.#closeFrameSent) this.#socket.pause();
    } else if (this.#queuePaused && this.#queuedBytes < high / 2) {
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
    // Closed without the peer's CLOSE record: closeInfo always carries the error then.
    if (this.#closeInfo) return Promise.reject(this.#closeInfo.error);
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

  /** Remember the first error that ended the channel; the session's keys (and its EAPIs) end now. */
  #noteError(error: E2E2Error): boolean {
    if (this.#state === 'closed' || this.#pendingError) return false;
    this.#initiator ??= 'local';
    this.#pendingError = error;
    this.#session.dispose();
    this.#sessionEnding();
    return true;
  }

  /** End the channel because of `error` found on our side: close with the mapped code, no CLOSE record. */
  #fail(error: E2E2Error): void {
    if (this.#noteError(error)) this.#closeSocket(closeCodeFor(error, this.#socket.whatwg));
  }

  #onSocketClose(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    const initiator = this.#initiator ?? 'remote';
    this.#state = 'closed';
    for (const timer of [this.#graceTimer, this.#closeTimer, this.#keepaliveTimer, this.#ageTimer]) clearTimeout(timer);
    this.#session.dispose();
    this.#sessionEnding();
    this.#coalesced = undefined;
    this.#coalescedBytes = 0;
    // Clean only when the peer's authentic CLOSE record arrived: close frames can be forged.
    const error = this.#pendingError ?? (this.#receivedClose ? undefined : errorForClose(code, reason, 'session'));
    const info: CloseInfo = error ? { code, reason, error, initiator } : { code, reason, initiator };
    this.#closeInfo = info;
    this.#settleWaitersIfDrained();
    const listeners = [...this.#closeListeners];
    this.#closeListeners.clear();
    this.#endListeners.clear();
    this.#drainListeners.clear();
    this.#resolveClosed(info);
    for (const l of listeners) this.#callAfterClose(l, info);
  }
}
