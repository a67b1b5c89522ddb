/**
 * One small interface over the two WebSocket implementations the channel runs on: the
 * WHATWG `WebSocket` of browsers (and Node >= 22) and the `ws` package in Node. Duck-typed, so
 * this file imports nothing and stays browser-safe.
 *
 * With `ws` the adapter listens through its EventEmitter API with `binaryType = 'nodebuffer'`
 * (no copy into an ArrayBuffer per message), uses the send callback to learn when bytes reached
 * the kernel, and can pause reading (TCP backpressure). With a WHATWG socket it uses
 * `binaryType = 'arraybuffer'` and polls `bufferedAmount`.
 */

/** What the channel needs from a socket. Every message handed to `onMessage` is binary. */
export interface MessageSocket {
  /** A WHATWG WebSocket: its close() can only send 1000 and 3000-4999 (so 4009, not 1009). */
  readonly whatwg: boolean;
  /** Queue one binary WebSocket message. The bytes may be reused once this returns. */
  send(bytes: Uint8Array): void;
  /** Start the closing handshake (no-op once closing). */
  close(code: number, reason: string): void;
  /** Drop the connection without a closing handshake (for peers that stopped reading). */
  terminate(): void;
  /** Bytes queued by `send` and not yet handed to the network. */
  readonly bufferedAmount: number;
  /** Resolves when every byte sent so far has left the user-space queue. */
  drained(): Promise<void>;
  /** Stop / resume reading from the network (no-op where the platform cannot). */
  pause(): void;
  resume(): void;
  onMessage: (bytes: Uint8Array) => void;
  /** A text message arrived: a protocol violation for E2-E2, which is binary only. */
  onText: () => void;
  onClose: (code: number, reason: string) => void;
}

/** The `ws` package's WebSocket, as far as the adapter uses it. */
interface NodeWs {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array, options: { binary: boolean }, cb: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  on(event: 'message', listener: (data: Uint8Array, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: (code: number, reason: Uint8Array) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
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

/** The part of the TCP (or TLS) socket under a `ws` WebSocket that write batching uses. */
interface Corkable {
  cork(): void;
  uncork(): void;
}

const SEND_OPTIONS = { binary: true };

function adaptNode(ws: NodeWs): MessageSocket {
  ws.binaryType = 'nodebuffer';
  // Batch the frames sent in one synchronous run into one write: cork the TCP socket on the first
  // send and uncork it in a microtask (what TLS does on its own; without it every record costs a
  // syscall). `_socket` is the ws field holding the net.Socket; without it, frames go out one by one.
  const raw = (ws as unknown as { _socket?: Partial<Corkable> })._socket;
  const corkable = typeof raw?.cork === 'function' && typeof raw.uncork === 'function' ? (raw as Corkable) : undefined;
  let corked = false;
  const uncork = () => {
    corked = false;
    corkable!.uncork();
  };
  let pendingWrites = 0;
  let waiters: (() => void)[] = [];
  const wrote = () => {
    pendingWrites--;
    if (pendingWrites === 0 && waiters.length > 0) {
      const list = waiters;
      waiters = [];
      for (const w of list) w();
    }
  };
  const socket: MessageSocket = {
    whatwg: false,
    send(bytes) {
      if (ws.readyState !== OPEN) return;
      if (corkable && !corked) {
        corked = true;
        corkable.cork();
        queueMicrotask(uncork);
      }
      pendingWrites++;
      ws.send(bytes, SEND_OPTIONS, wrote);
    },
    close(code, reason) {
      if (ws.readyState < CLOSING) ws.close(code, reason);
    },
    terminate: () => ws.terminate(),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    drained: () => (pendingWrites === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    onMessage: noop,
    onText: noop,
    onClose: noop,
  };
  ws.on('message', (data, isBinary) => (isBinary ? socket.onMessage(data) : socket.onText()));
  ws.on('close', (code, reason) => {
    // Send callbacks of writes that never happened still fire (with an error); release waiters anyway.
    const list = waiters;
    waiters = [];
    for (const w of list) w();
    socket.onClose(code, new TextDecoder().decode(reason));
  });
  // Errors (reset connection, invalid frame) are followed by 'close'; the close code tells the story.
  ws.on('error', noop);
  return socket;
}

function adaptWhatwg(ws: WhatwgWs): MessageSocket {
  ws.binaryType = 'arraybuffer';
  let closed = false;
  const socket: MessageSocket = {
    whatwg: true,
    send(bytes) {
      if (ws.readyState === OPEN) ws.send(bytes);
    },
    close(code, reason) {
      if (ws.readyState < CLOSING) ws.close(code, reason);
    },
    terminate() {
      if (ws.readyState < CLOSING) ws.close(1000, '');
    },
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
    onMessage: noop,
    onText: noop,
    onClose: noop,
  };
  ws.addEventListener('message', (event) => {
    const data = event.data;
    if (data instanceof ArrayBuffer) socket.onMessage(new Uint8Array(data));
    else if (ArrayBuffer.isView(data)) socket.onMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    else socket.onText();
  });
  ws.addEventListener('close', (event) => {
    closed = true;
    socket.onClose(event.code, event.reason);
  });
  return socket;
}
