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

/** RFC 6455 §5.2: FIN set, opcode 0x2 (binary frame). */
const FIN_BINARY = 0x82;
/** RFC 6455 §5.2: the MASK bit of the second header byte. */
const MASK_BIT = 0x80;
/** RFC 6455 §5.2: payload lengths above 125 take the 16-bit extended length (126) up to 65,535. */
const MAX_SHORT_PAYLOAD = 125;
const MAX_EXTENDED16_PAYLOAD = 0xffff;
const MASK_KEY_BYTES = 4;

/** Fresh masking keys (RFC 6455 §5.3: from a strong source of entropy, one per frame), drawn from a refilled pool. */
const maskPool = new Uint8Array(8192);
let maskPoolOffset = maskPool.length;
const littleEndian = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Write a fresh masking key at buffer[at, at + 4) and mask buffer[at + 4, end) with it, in place (RFC 6455 §5.3). */
function maskPayload(buffer: Uint8Array, at: number): void {
  if (maskPoolOffset === maskPool.length) {
    globalThis.crypto.getRandomValues(maskPool);
    maskPoolOffset = 0;
  }
  const m0 = maskPool[maskPoolOffset]!;
  const m1 = maskPool[maskPoolOffset + 1]!;
  const m2 = maskPool[maskPoolOffset + 2]!;
  const m3 = maskPool[maskPoolOffset + 3]!;
  maskPoolOffset += MASK_KEY_BYTES;
  buffer[at] = m0;
  buffer[at + 1] = m1;
  buffer[at + 2] = m2;
  buffer[at + 3] = m3;
  const start = at + MASK_KEY_BYTES;
  let i = start;
  // Word-wise where the payload is 4-byte aligned (records are: they follow an 8-byte header).
  const absolute = buffer.byteOffset + start;
  if ((absolute & 3) === 0 && buffer.length - start >= 16) {
    const words = new Uint32Array(buffer.buffer, absolute, (buffer.length - start) >>> 2);
    const key = littleEndian ? (m0 | (m1 << 8) | (m2 << 16) | (m3 << 24)) >>> 0 : ((m0 << 24) | (m1 << 16) | (m2 << 8) | m3) >>> 0;
    for (let w = 0; w < words.length; w++) words[w]! ^= key;
    i = start + words.length * 4;
  }
  const mask = [m0, m1, m2, m3];
  for (; i < buffer.length; i++) buffer[i]! ^= mask[(i - start) & 3]!;
}

/** The `ws` internals direct framing relies on; undefined (use ws.send) when this `ws` is shaped differently. */
interface WsInternals {
  socket: Corkable & { write(data: Uint8Array, cb: (err?: Error) => void): boolean };
  sender: { _state: number };
  masked: boolean;
}

function wsInternals(ws: NodeWs): WsInternals | undefined {
  const w = ws as unknown as { _socket?: { write?: unknown; cork?: unknown; uncork?: unknown }; _sender?: { _state?: unknown }; _isServer?: unknown; _extensions?: object };
  const socket = w._socket;
  const sender = w._sender;
  if (typeof socket?.write !== 'function' || typeof socket.cork !== 'function' || typeof socket.uncork !== 'function') return undefined;
  if (typeof sender?._state !== 'number' || typeof w._isServer !== 'boolean') return undefined;
  // Extensions (permessage-deflate) would change the frames: never negotiated by the channel, but then ws frames them.
  if (typeof w._extensions !== 'object' || w._extensions === null || Object.keys(w._extensions).length !== 0) return undefined;
  return { socket: socket as WsInternals['socket'], sender: sender as WsInternals['sender'], masked: !w._isServer };
}

function adaptNode(ws: NodeWs): MessageSocket {
  ws.binaryType = 'nodebuffer';
  // Batch the frames of one synchronous run into one write (writeBatcher). `_socket` is the ws
  // field holding the net.Socket; without it, frames go out one by one.
  const raw = (ws as unknown as { _socket?: Partial<Corkable> })._socket;
  const writes = writeBatcher(typeof raw?.cork === 'function' && typeof raw.uncork === 'function' ? (raw as Corkable) : undefined);
  // Records are framed here (RFC 6455 §5.2), into the room sealed in front of them, and written
  // to ws's socket: one buffer per record instead of ws's header buffer, option objects and, on
  // a client, a masked copy; the client masks in place, word-wise. Only while ws's own sender
  // is idle (it queues only for compression and blobs, which the channel never uses), so frames
  // stay in order with the control frames ws sends.
  const direct = wsInternals(ws);
  const maskBytes = direct?.masked ? MASK_KEY_BYTES : 0;
  const socket: MessageSocket = {
    whatwg: false,
    send(bytes) {
      if (ws.readyState !== OPEN) return;
      ws.send(bytes, SEND_OPTIONS, writes.begin());
    },
    headroom(length) {
      if (direct === undefined || length > MAX_EXTENDED16_PAYLOAD) return 0;
      return (length > MAX_SHORT_PAYLOAD ? 4 : 2) + maskBytes;
    },
    sendReserved(buffer, headroom) {
      if (ws.readyState !== OPEN) return;
      const length = buffer.length - headroom;
      if (direct === undefined || direct.sender._state !== 0 || headroom !== socket.headroom(length)) {
        ws.send(headroom === 0 ? buffer : buffer.subarray(headroom), SEND_OPTIONS, writes.begin());
        return;
      }
      buffer[0] = FIN_BINARY;
      if (length > MAX_SHORT_PAYLOAD) {
        buffer[1] = 126 | (maskBytes === 0 ? 0 : MASK_BIT);
        buffer[2] = length >>> 8;
        buffer[3] = length & 0xff;
      } else buffer[1] = length | (maskBytes === 0 ? 0 : MASK_BIT);
      if (maskBytes !== 0) maskPayload(buffer, headroom - MASK_KEY_BYTES);
      direct.socket.write(buffer, writes.begin());
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
