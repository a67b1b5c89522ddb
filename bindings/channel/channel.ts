/**
 * An established E2-E2 channel over one WebSocket: the same object on the client and on the
 * server. Browser-safe (no Node imports).
 *
 * Wire: one binary WebSocket message = one E2-E2 record (SPEC.md §7). `send()` seals one DATA
 * record, so message boundaries are kept (at most 65,518 bytes each); `write()` is the stream
 * form that splits any length into as many records as needed. `close()` sends a CLOSE record and
 * then the WebSocket close frame (1000): a WebSocket that closes without a CLOSE record first is
 * reported as a truncated channel (ERR_CONNECTION_CLOSED), never as a clean end.
 *
 * Incoming messages go to 'message' listeners when there are any, otherwise they queue for the
 * async iterator (`for await (const m of channel)`); reading pauses while the queue is full.
 */
import { ConnectionClosedError, InvalidArgumentError, MessageTooLargeError, type E2E2Error } from '../errors.js';
import { CloseCode, closeCodeFor, closeReason, errorForClose } from './close-codes.js';
import type { MessageSocket } from './socket.js';

/** What open() found in a record (the E2-E2 session's OpenResult, SPEC.md §7). */
export type OpenResult = { type: 'data'; data: Uint8Array } | { type: 'rekey'; data: Uint8Array } | { type: 'close' };

/** The record layer the channel drives: the E2-E2 session (bindings/e2e2/session.ts). */
export interface RecordSession {
  readonly keyId: string;
  readonly sessionId: string;
  /** Seal application data as one record (DATA, or REKEY when the session rekeys on its own). */
  seal(data: Uint8Array): Uint8Array;
  /** Seal a REKEY record carrying `data`; the sending key changes right after it. */
  rekey(data?: Uint8Array): Uint8Array;
  /** Seal the CLOSE record that ends this direction. */
  close(): Uint8Array;
  open(record: Uint8Array): OpenResult;
  /** Wipe every key. */
  dispose(): void;
}

/** Largest application payload in one record (65,535 − 16-byte tag − 1-byte type), SPEC.md §7. */
export const MAX_RECORD_DATA_BYTES = 65_518;

export interface CloseInfo {
  /** WebSocket close code (README "Close codes"); 1006 when the connection dropped. */
  code: number;
  reason: string;
  /** Set when the channel did not end cleanly (both CLOSE records, then 1000). */
  error?: E2E2Error;
  /** Who started the close. */
  initiator: 'local' | 'remote';
}

export interface ChannelInfo {
  role: 'client' | 'server';
  /** Largest incoming message accepted, bytes. */
  maxMessageBytes: number;
  /** How long `close()` waits for the peer's close frame before dropping the connection, ms. */
  closeTimeoutMs: number;
  /** True in browsers (selects the close code a browser may send). */
  browser: boolean;
}

type MessageListener = (data: Uint8Array) => void;
type CloseListener = (info: CloseInfo) => void;

const QUEUE_HIGH_WATER_BYTES = 8 << 20;
const QUEUE_LOW_WATER_BYTES = 1 << 20;
const encoder = new TextEncoder();

export class Channel implements AsyncIterable<Uint8Array> {
  readonly role: 'client' | 'server';
  readonly keyId: string;
  readonly sessionId: string;
  /** Resolves once the WebSocket is closed, with how it ended. Never rejects. */
  readonly closed: Promise<CloseInfo>;

  readonly #socket: MessageSocket;
  readonly #session: RecordSession;
  readonly #info: ChannelInfo;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #sentClose = false;
  #receivedClose = false;
  #closeInfo: CloseInfo | undefined;
  #pendingError: E2E2Error | undefined;
  #resolveClosed!: (info: CloseInfo) => void;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #messageListeners = new Set<MessageListener>();
  #closeListeners = new Set<CloseListener>();
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #paused = false;
  #waiters: ((result: IteratorResult<Uint8Array>) => void)[] = [];
  #failWaiters: ((error: unknown) => void)[] = [];
  #bytesSent = 0;
  #bytesReceived = 0;

  /** @internal Built by `connect()` and the server once the handshake is complete. */
  constructor(socket: MessageSocket, session: RecordSession, info: ChannelInfo) {
    this.#socket = socket;
    this.#session = session;
    this.#info = info;
    this.role = info.role;
    this.keyId = session.keyId;
    this.sessionId = session.sessionId;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    socket.onMessage = (bytes) => this.#receive(bytes);
    socket.onText = () => this.#fail(CloseCode.PROTOCOL_VIOLATION, new ConnectionClosedError('received a text message; E2-E2 is binary only', { closeCode: CloseCode.PROTOCOL_VIOLATION, closeReason: closeReason(CloseCode.PROTOCOL_VIOLATION) }));
    socket.onClose = (code, reason) => this.#onSocketClose(code, reason);
  }

  /** Application bytes sent and received so far (plaintext). */
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

  /** True until a close starts. */
  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /** Send one message (bytes, or a string as UTF-8) of at most 65,518 bytes as one record. */
  send(data: Uint8Array | string): void {
    const bytes = this.#bytes(data);
    if (bytes.length > MAX_RECORD_DATA_BYTES) {
      throw new InvalidArgumentError(`a message is at most ${MAX_RECORD_DATA_BYTES} bytes; use write() for streams`);
    }
    this.#socket.send(this.#session.seal(bytes));
    this.#bytesSent += bytes.length;
  }

  /** Send a byte stream chunk of any length, as consecutive records of at most 65,518 bytes. */
  write(data: Uint8Array | string): void {
    const bytes = this.#bytes(data);
    for (let offset = 0; offset < bytes.length || offset === 0; offset += MAX_RECORD_DATA_BYTES) {
      this.#socket.send(this.#session.seal(bytes.subarray(offset, offset + MAX_RECORD_DATA_BYTES)));
      if (bytes.length === 0) break;
    }
    this.#bytesSent += bytes.length;
  }

  /**
   * Rekey our sending direction (Noise Rekey(), SPEC.md §7): sends a REKEY record carrying `data`
   * (default empty, delivered like any message if non-empty) and switches to the next key.
   */
  rekey(data: Uint8Array | string = new Uint8Array(0)): void {
    const bytes = this.#bytes(data);
    if (bytes.length > MAX_RECORD_DATA_BYTES) throw new InvalidArgumentError(`a message is at most ${MAX_RECORD_DATA_BYTES} bytes`);
    this.#socket.send(this.#session.rekey(bytes));
    this.#bytesSent += bytes.length;
  }

  /** Resolves when everything sent so far has left the process (backpressure for streams). */
  drained(): Promise<void> {
    return this.#socket.drained();
  }

  /** Listen for 'message' (each incoming message) or 'close'. Returns a function that removes the listener. */
  on(event: 'message', listener: MessageListener): () => void;
  on(event: 'close', listener: CloseListener): () => void;
  on(event: 'message' | 'close', listener: MessageListener | CloseListener): () => void {
    if (event === 'message') {
      const l = listener as MessageListener;
      this.#messageListeners.add(l);
      // Deliver whatever arrived before the first listener, in order.
      if (this.#queue.length > 0) {
        const queued = this.#queue;
        this.#queue = [];
        this.#queuedBytes = 0;
        for (const m of queued) l(m);
        this.#maybeResume();
      }
      return () => this.#messageListeners.delete(l);
    }
    if (event === 'close') {
      const l = listener as CloseListener;
      if (this.#closeInfo) queueMicrotask(() => l(this.#closeInfo!));
      else this.#closeListeners.add(l);
      return () => this.#closeListeners.delete(l);
    }
    throw new InvalidArgumentError("event must be 'message' or 'close'");
  }

  /**
   * Incoming messages in order. Ends when the peer closes cleanly; throws the typed error when
   * the channel ends any other way (authentication failure, truncation, protocol violation).
   */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const next = await this.#next();
      if (next.done) return;
      yield next.value;
    }
  }

  /**
   * Close cleanly: CLOSE record, then the WebSocket close frame (1000). Resolves when the
   * WebSocket is closed (or after `closeTimeoutMs`, when the connection is dropped).
   */
  close(): Promise<CloseInfo> {
    if (this.#state === 'open') {
      this.#state = 'closing';
      this.#sendCloseRecord();
      this.#socket.close(CloseCode.NORMAL, closeReason(CloseCode.NORMAL));
      this.#armCloseTimer();
    }
    return this.closed;
  }

  // ---------------------------------------------------------------- internals

  #bytes(data: Uint8Array | string): Uint8Array {
    if (this.#state !== 'open') {
      const info = this.#closeInfo;
      throw new ConnectionClosedError('the channel is closed', { closeCode: info?.code ?? CloseCode.NORMAL, closeReason: info?.reason ?? '' });
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
      // The session may be exhausted or disposed; the close frame still goes out.
    }
  }

  #armCloseTimer(): void {
    this.#closeTimer ??= setTimeout(() => this.#socket.terminate(), this.#info.closeTimeoutMs);
  }

  #receive(bytes: Uint8Array): void {
    if (this.#state === 'closed') return;
    if (bytes.length > this.#info.maxMessageBytes) {
      this.#fail(0, new MessageTooLargeError(`a message exceeds ${this.#info.maxMessageBytes} bytes`));
      return;
    }
    let result: OpenResult;
    try {
      result = this.#session.open(bytes);
    } catch (error) {
      this.#fail(0, error);
      return;
    }
    if (result.type === 'close') {
      // The peer ended its direction. Answer with ours and the close frame.
      this.#receivedClose = true;
      if (this.#state === 'open') this.#state = 'closing';
      this.#sendCloseRecord();
      this.#socket.close(CloseCode.NORMAL, closeReason(CloseCode.NORMAL));
      this.#armCloseTimer();
      return;
    }
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
      this.#failWaiters.shift();
      waiter({ done: false, value: data });
      return;
    }
    this.#queue.push(data);
    this.#queuedBytes += data.length + 64;
    if (!this.#paused && this.#queuedBytes > QUEUE_HIGH_WATER_BYTES) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  #maybeResume(): void {
    if (this.#paused && this.#queuedBytes < QUEUE_LOW_WATER_BYTES) {
      this.#paused = false;
      this.#socket.resume();
    }
  }

  #next(): Promise<IteratorResult<Uint8Array>> {
    const queued = this.#queue.shift();
    if (queued !== undefined) {
      this.#queuedBytes -= queued.length + 64;
      this.#maybeResume();
      return Promise.resolve({ done: false, value: queued });
    }
    if (this.#closeInfo) {
      if (this.#closeInfo.error) return Promise.reject(this.#closeInfo.error);
      return Promise.resolve({ done: true, value: undefined });
    }
    return new Promise((resolve, reject) => {
      this.#waiters.push(resolve);
      this.#failWaiters.push(reject);
    });
  }

  /** End the channel because of `error` (ours to report): close with the mapped code, no CLOSE record. */
  #fail(code: number, error: unknown): void {
    if (this.#state === 'closed' || this.#pendingError !== undefined) return;
    const closeCode = code || closeCodeFor(error, this.#info.browser);
    this.#state = 'closing';
    this.#pendingError = error as E2E2Error;
    this.#socket.close(closeCode, closeReason(closeCode));
    this.#armCloseTimer();
  }

  #onSocketClose(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    const initiator = this.#sentClose || this.#pendingError !== undefined ? 'local' : 'remote';
    this.#state = 'closed';
    if (this.#closeTimer) clearTimeout(this.#closeTimer);
    this.#session.dispose();
    // Clean: the peer's CLOSE record arrived, or we closed and the peer answered 1000. Anything
    // else is an error; a normal close frame without a CLOSE record is a truncation.
    let error = this.#pendingError;
    if (error === undefined && !this.#receivedClose && !(this.#sentClose && code === CloseCode.NORMAL)) {
      error =
        code === CloseCode.NORMAL || code === CloseCode.GOING_AWAY || code === 1005
          ? new ConnectionClosedError('the channel was truncated: the WebSocket closed without a CLOSE record', { closeCode: code, closeReason: reason })
          : errorForClose(code, reason, 'session');
    }
    const info: CloseInfo = error ? { code, reason, error, initiator } : { code, reason, initiator };
    this.#closeInfo = info;
    this.#queuedBytes = 0;
    const waiters = this.#waiters;
    const failWaiters = this.#failWaiters;
    this.#waiters = [];
    this.#failWaiters = [];
    if (this.#queue.length === 0) {
      if (error) for (const f of failWaiters) f(error);
      else for (const w of waiters) w({ done: true, value: undefined });
    }
    for (const l of this.#closeListeners) l(info);
    this.#closeListeners.clear();
    this.#resolveClosed(info);
  }
}
