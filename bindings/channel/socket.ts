/**
 * One small interface over the two WebSocket implementations the channel runs on: the
 * WHATWG `WebSocket` of browsers (and Node >= 22) and the `ws` package in Node. Duck-typed, so
 * this file imports nothing from Node and stays browser-safe.
 *
 * With `ws` the adapter listens through its EventEmitter API with `binaryType = 'nodebuffer'`
 * (no copy into an ArrayBuffer per message), uses the send callback to learn when bytes reached
 * the kernel, can pause reading (TCP backpressure) and can ping. With a WHATWG socket it uses
 * `binaryType = 'arraybuffer'` and polls `bufferedAmount`.
 *
 * Containment: the socket's events come from the network, so every handler the owner installs
 * runs inside a guard. A handler that throws never reaches the emitter (for `ws` that would be an
 * uncaught exception that ends the process): the error goes to `onFault` and the connection is
 * dropped.
 */
import { MalformedMessageError, MessageTooLargeError, type E2E2Error } from '../errors.js';
import { whatwgCloseCode } from './close-codes.js';

/** What the channel needs from a socket. Every message handed to `onMessage` is binary. */
export interface MessageSocket {
  /** A WHATWG WebSocket: it can only send 1000 and 3000-4999, cannot ping and cannot pause. */
  readonly whatwg: boolean;
  /** Queue one binary WebSocket message. The bytes may be reused once this returns. */
  send(bytes: Uint8Array): void;
  /** Bytes to leave free at the start of a buffer for `sendReserved` of a `length`-byte message (its frame header; 0 for none). */
  headroom(length: number): number;
  /** Queue one message: `buffer` after its first `headroom` bytes, which the socket may overwrite with its header. The buffer becomes the socket's. */
  sendReserved(buffer: Uint8Array, headroom: number): void;
  /** Start the closing handshake (no-op once closing; never throws). Resumes reading, so the peer's answer is seen. */
  close(code: number, reason: string): void;
  /** Drop the connection without a closing handshake (for peers that stopped answering). */
  terminate(): void;
  /** Bytes queued by `send` and not yet handed to the network. */
  readonly bufferedAmount: number;
  /** Resolves when every byte sent so far has left the user-space queue (or the socket closed). */
  drained(): Promise<void>;
  /** Stop / resume reading from the network (no-op where the platform cannot). */
  pause(): void;
  resume(): void;
  /** Send a WebSocket ping (RFC 6455 §5.5.2); false where the platform cannot (WHATWG). */
  ping(): boolean;
  onMessage: (bytes: Uint8Array) => void;
  /** A text message arrived: a protocol violation for E2-E2, which is binary only. */
  onText: () => void;
  /** Any frame arrived (message, ping or pong): the peer is alive. */
  onActivity: () => void;
  /** The WebSocket layer found a protocol error in the peer's frames; `onClose` follows. */
  onProtocolError: (error: E2E2Error) => void;
  onClose: (code: number, reason: string) => void;
  /** A handler above threw (a bug, never the peer's bytes): report it; the connection is dropped. */
  onFault: (error: unknown) => void;
}

/** The `ws` package's WebSocket, as far as the adapter uses it. */
interface NodeWs {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array, options: { binary: boolean }, cb: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(): void;
  pause(): void;
  resume(): void;
  on(event: 'message', listener: (data: Uint8Array, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: (code: number, reason: Uint8Array) => void): unknown;
  on(event: 'error', listener: (error: Error & { code?: string }) => void): unknown;
  on(event: 'ping' | 'pong', listener: () => void): unknown;
}

/** The WHATWG WebSocket, as far as the adapter uses it. */
interface WhatwgWs {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
}

const OPEN = 1;
const CLOSING = 2;
const noop = () => {};

function isNodeWs(ws: unknown): ws is NodeWs {
  return typeof (ws as { on?: unknown }).on === 'function' && typeof (ws as { terminate?: unknown }).terminate === 'function';
}

/** Wrap an OPEN socket of either kind. */
export function adaptSocket(ws: unknown): MessageSocket {
  return isNodeWs(ws) ? adaptNode(ws) : adaptWhatwg(ws as WhatwgWs);
}

/** Handlers the owner has not set yet: drop nothing silently that matters (faults are printed). */
function initialHandlers(): Pick<MessageSocket, 'onMessage' | 'onText' | 'onActivity' | 'onProtocolError' | 'onClose' | 'onFault'> {
  return {
    onMessage: noop,
    onText: noop,
    onActivity: noop,
    onProtocolError: noop,
    onClose: noop,
    onFault: (error) => console.error('e2e2: a channel handler threw; the connection was dropped:', error),
  };
}

/** Run `handler` so that nothing it throws reaches the socket's emitter. */
function guarded<A extends unknown[]>(socket: MessageSocket, drop: () => void, handler: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      handler(...args);
    } catch (error) {
      try {
        drop();
      } catch {
        // Already closed: nothing more to drop.
      }
      try {
        socket.onFault(error);
      } catch {
        // A fault reporter that throws has nowhere left to report to; never let it reach the emitter.
      }
    }
  };
}

/**
 * The typed error for a frame-level error `ws` found in the peer's bytes (it sends the close code
 * itself: 1002, 1007, 1008 or 1009), or undefined for transport errors (resets), which `close` reports.
 */
function wsProtocolError(error: Error & { code?: string }): E2E2Error | undefined {
  const wsCode = error.code;
  if (typeof wsCode !== 'string' || !wsCode.startsWith('WS_ERR_')) return undefined;
  const cause = { wsCode, message: error.message };
  if (wsCode === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' || wsCode === 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH') {
    return new MessageTooLargeError('a message exceeds the maximum size', { cause });
  }
  return new MalformedMessageError('invalid WebSocket frames', { cause });
}

/** The part of a TCP (or TLS) socket that write batching uses. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * @internal Write bookkeeping of the Node socket adapters (`ws` here, raw TCP in tcp-socket.ts):
 * the first write of a synchronous run corks the socket and a microtask uncorks it, so the run
 * leaves in one write (what TLS does on its own; otherwise every record costs a syscall); writes
 * whose callbacks have not fired are counted, and drained() resolves once none is left or the
 * socket closed (callbacks of writes that never happened still fire, but nobody waits for them).
 */
export function writeBatcher(corkable: Corkable | undefined): { begin(): () => void; drained(): Promise<void>; socketClosed(): void } {
  let corked = false;
  const uncork = () => {
    corked = false;
    corkable!.uncork();
  };
  let pending = 0;
  let closed = false;
  let waiters: (() => void)[] = [];
  const release = () => {
    const list = waiters;
    waiters = [];
    for (const w of list) w();
  };
  const wrote = () => {
    pending--;
    if (pending === 0 && waiters.length > 0) release();
  };
  return {
    begin() {
      if (corkable && !corked) {
        corked = true;
        corkable.cork();
        queueMicrotask(uncork);
      }
      pending++;
      return wrote;
    },
    drained: () => (pending === 0 || closed ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    socketClosed() {
      closed = true;
      release();
    },
  };
}

const SEND_OPTIONS = { binary: true };

function adaptNode(ws: NodeWs): MessageSocket {
  ws.binaryType = 'nodebuffer';
  // Batch the frames of one synchronous run into one write (writeBatcher). `_socket` is the ws
  // field holding the net.Socket; without it, frames go out one by one.
  const raw = (ws as unknown as { _socket?: Partial<Corkable> })._socket;
  const writes = writeBatcher(typeof raw?.cork === 'function' && typeof raw.uncork === 'function' ? (raw as Corkable) : undefined);
  const socket: MessageSocket = {
    whatwg: false,
    send(bytes) {
      if (ws.readyState !== OPEN) return;
      ws.send(bytes, SEND_OPTIONS, writes.begin());
    },
    headroom: () => 0,
    sendReserved(buffer, headroom) {
      socket.send(headroom === 0 ? buffer : buffer.subarray(headroom));
    },
    close(code, reason) {
      // A paused socket would never read the peer's answer (close frame or FIN).
      ws.resume();
      if (ws.readyState < CLOSING) ws.close(code, reason);
    },
    terminate: () => ws.terminate(),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    drained: writes.drained,
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    ping() {
      if (ws.readyState !== OPEN) return false;
      ws.ping();
      return true;
    },
    ...initialHandlers(),
  };
  const drop = () => ws.terminate();
  ws.on(
    'message',
    guarded(socket, drop, (data: Uint8Array, isBinary: boolean) => {
      socket.onActivity();
      if (isBinary) socket.onMessage(data);
      else socket.onText();
    }),
  );
  const alive = guarded(socket, drop, () => socket.onActivity());
  ws.on('ping', alive);
  ws.on('pong', alive);
  ws.on(
    'close',
    guarded(socket, noop, (code: number, reason: Uint8Array) => {
      writes.socketClosed();
      socket.onClose(code, new TextDecoder().decode(reason));
    }),
  );
  // Frame errors are typed for the local report; transport errors (resets) are followed by 'close'.
  ws.on(
    'error',
    guarded(socket, drop, (error: Error & { code?: string }) => {
      const typed = wsProtocolError(error);
      if (typed) socket.onProtocolError(typed);
    }),
  );
  return socket;
}

function adaptWhatwg(ws: WhatwgWs): MessageSocket {
  ws.binaryType = 'arraybuffer';
  let closed = false;
  const closeQuietly = (code: number, reason: string) => {
    if (ws.readyState >= CLOSING) return;
    try {
      ws.close(whatwgCloseCode(code), reason);
    } catch {
      // A platform that refuses the code or reason still gets closed.
      ws.close();
    }
  };
  const socket: MessageSocket = {
    whatwg: true,
    send(bytes) {
      if (ws.readyState === OPEN) ws.send(bytes);
    },
    headroom: () => 0,
    sendReserved(buffer, headroom) {
      socket.send(headroom === 0 ? buffer : buffer.subarray(headroom));
    },
    close: closeQuietly,
    terminate: () => closeQuietly(1000, ''),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    async drained() {
      // Browsers expose no write callback: poll, backing off from 1 ms to 16 ms.
      let delay = 1;
      while (!closed && ws.bufferedAmount > 0) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 16);
      }
    },
    pause: noop,
    resume: noop,
    ping: () => false,
    ...initialHandlers(),
  };
  const drop = () => closeQuietly(1000, '');
  ws.addEventListener(
    'message',
    guarded(socket, drop, (event: { data: unknown }) => {
      socket.onActivity();
      const data = event.data;
      if (data instanceof ArrayBuffer) socket.onMessage(new Uint8Array(data));
      else if (ArrayBuffer.isView(data)) socket.onMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      else socket.onText();
    }),
  );
  ws.addEventListener(
    'close',
    guarded(socket, noop, (event: { code: number; reason: string }) => {
      closed = true;
      socket.onClose(event.code, event.reason);
    }),
  );
  return socket;
}
