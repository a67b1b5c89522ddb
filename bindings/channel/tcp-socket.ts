/**
 * The TCP binding's socket (SPEC.md §7.8): a `MessageSocket` over a Node `net.Socket`, so the
 * same Channel (record state machine, backpressure, close and truncation rules) and the same
 * handshake code run over raw TCP as over a WebSocket. Each handshake message and record is one
 * SPEC.md §7.4 frame, u16be(length) || bytes.
 *
 * - send = one frame written to the socket; writes of one synchronous run are corked into one
 *   syscall (as the `ws` adapter does). `bufferedAmount` is the socket's `writableLength`.
 * - Reading: a FrameDecoder that refuses a length above maxMessageBytes as soon as its two prefix
 *   bytes arrive, and so never holds more than one unfinished frame plus one read chunk. While
 *   paused, no message is delivered (complete ones wait, at most one read chunk of them).
 * - A frame whose first byte arrived must be complete within `frameTimeoutMs` while reading is on
 *   (ERR_KEEPALIVE_TIMEOUT, as a WebSocket peer that trickles a frame never answers a ping).
 * - TCP has no ping: `ping()` is false, as for WHATWG sockets; dead peers are found by TCP
 *   keepalive probes (the OS), which end in a reset.
 * - TCP has no close frame, so no close code travels. `close(code)` ends our direction (FIN, once
 *   queued bytes are out); the peer's FIN is answered with ours. `onClose` reports our own code
 *   when we closed first, else 1006 (closed without any close frame, RFC 6455 §7.1.5): the
 *   Channel calls an end clean only when the peer's CLOSE record arrived, so a FIN or reset
 *   before it is a truncation (ERR_CONNECTION_CLOSED).
 */
import type { Socket } from 'node:net';
import { KeepaliveTimeoutError, isE2E2Error, type E2E2Error } from '../errors.js';
import { encodeFrame, FrameDecoder } from '../e2e2/framing.js';
import { FRAME_HEADER_BYTES, MAX_MESSAGE_BYTES } from '../e2e2/constants.js';
import { writeBatcher, type MessageSocket } from './socket.js';

/** Closed without a close frame (RFC 6455 §7.1.5): what a TCP peer's FIN or reset reports. */
const NO_CLOSE_FRAME = 1006;
const noop = () => {};

/** Options of the TCP adapter. */
export interface TcpSocketOptions {
  /** Largest frame accepted, bytes (1..65,535). */
  maxMessageBytes: number;
  /** A started frame must be complete within this, ms (while reading is on). */
  frameTimeoutMs: number;
  /** TCP keepalive probes after this long idle, ms; 0 = off. */
  keepaliveIntervalMs: number;
}

/** @internal Wrap a connected `net.Socket` (created with allowHalfOpen: true, so FIN is ours to send). */
export function adaptTcpSocket(tcp: Socket, options: TcpSocketOptions): MessageSocket {
  tcp.setNoDelay(true);
  if (options.keepaliveIntervalMs > 0) tcp.setKeepAlive(true, options.keepaliveIntervalMs);
  const decoder = new FrameDecoder({ maxMessageBytes: options.maxMessageBytes });
  const writes = writeBatcher(tcp);
  let closed = false;
  let ending = false;
  /** Our close code, once we closed first. */
  let localCode: number | undefined;
  let localReason = '';
  let failed = false;
  let paused = false;
  /** The peer's FIN arrived; ours answers it once every complete frame before it was delivered. */
  let peerEnded = false;
  /** Complete messages not yet delivered (reading paused in the middle of a chunk). */
  let ready: Uint8Array[] = [];
  /** `ready` holds copies (not views of a read chunk). */
  let readyCopied = false;
  let frameTimer: ReturnType<typeof setTimeout> | undefined;

  const endOurSide = () => {
    if (ending) return;
    ending = true;
    tcp.end();
  };
  const socket: MessageSocket = {
    whatwg: false,
    send(bytes) {
      if (ending || closed) return;
      tcp.write(encodeFrame(bytes), writes.begin());
    },
    // Records are sealed with room for the u16be length in front: no second copy per record.
    headroom: () => FRAME_HEADER_BYTES,
    sendReserved(buffer, headroom) {
      if (headroom !== FRAME_HEADER_BYTES) return socket.send(buffer.subarray(headroom));
      if (ending || closed) return;
      const length = buffer.length - FRAME_HEADER_BYTES;
      if (length < 1 || length > MAX_MESSAGE_BYTES) return socket.send(buffer.subarray(headroom));
      buffer[0] = length >>> 8;
      buffer[1] = length & 0xff;
      tcp.write(buffer, writes.begin());
    },
    close(code, reason) {
      if (localCode === undefined && !ending) {
        localCode = code;
        localReason = reason;
      }
      // A paused socket would never read the peer's FIN.
      socket.resume();
      endOurSide();
    },
    terminate: () => tcp.destroy(),
    get bufferedAmount() {
      return tcp.writableLength;
    },
    drained: writes.drained,
    pause() {
      paused = true;
      clearTimeout(frameTimer);
      frameTimer = undefined;
      tcp.pause();
    },
    resume() {
      if (!paused) return;
      paused = false;
      deliverReady();
      if (!paused) {
        armFrameTimer();
        tcp.resume();
      }
    },
    ping: () => false,
    onMessage: noop,
    onText: noop,
    onActivity: noop,
    onProtocolError: noop,
    onClose: noop,
    onFault: (error) => console.error('e2e2: a channel handler threw; the connection was dropped:', error),
  };

  /** Fail the stream (a bad frame, a stalled one): report the typed error, then drop the connection. */
  const protocolError = (error: E2E2Error) => {
    if (failed) return;
    failed = true;
    ready = [];
    clearTimeout(frameTimer);
    socket.onProtocolError(error);
    tcp.destroy();
  };
  const armFrameTimer = () => {
    if (paused || failed || decoder.bufferedBytes === 0) {
      clearTimeout(frameTimer);
      frameTimer = undefined;
      return;
    }
    frameTimer ??= setTimeout(() => protocolError(new KeepaliveTimeoutError(`a frame was not completed within ${options.frameTimeoutMs} ms`)), options.frameTimeoutMs);
  };
  const deliverReady = () => {
    while (ready.length > 0 && !paused && !failed && !closed) {
      const message = ready.shift()!;
      socket.onActivity();
      socket.onMessage(message);
    }
    if (peerEnded && ready.length === 0) endOurSide();
    // Messages left for later are views of a read chunk: keep copies, not the chunk (once per chunk).
    if (ready.length > 0 && !readyCopied) {
      ready = ready.map((message) => message.slice());
      readyCopied = true;
    }
  };
  /** Run a handler so that nothing it throws reaches the socket's emitter (see socket.ts). */
  const guarded =
    <A extends unknown[]>(handler: (...args: A) => void) =>
    (...args: A) => {
      try {
        handler(...args);
      } catch (error) {
        tcp.destroy();
        try {
          socket.onFault(error);
        } catch {
          // Nowhere left to report to; never let it reach the emitter.
        }
      }
    };

  tcp.on(
    'data',
    guarded((chunk: Buffer) => {
      if (failed || closed) return;
      let messages: Uint8Array[];
      try {
        // Views of `chunk` (a fresh read): each is opened (copied into WASM) before the next read.
        messages = decoder.pushViews(chunk);
      } catch (error) {
        if (!isE2E2Error(error)) throw error;
        protocolError(error);
        return;
      }
      // A frame completed: the started-frame clock restarts with the next one.
      if (messages.length > 0) {
        clearTimeout(frameTimer);
        frameTimer = undefined;
      }
      if (ready.length === 0) ready = messages;
      else ready.push(...messages);
      readyCopied = false;
      deliverReady();
      armFrameTimer();
    }),
  );
  // The peer's FIN: it sends nothing more. Answer with ours (the Channel saw its CLOSE record, or
  // calls this a truncation), but only after the frames still waiting are delivered: Node emits
  // 'end' after the last chunk's 'data' even when that handler paused, and our FIN closes the
  // socket, which would drop them (the peer's CLOSE record among them).
  tcp.on(
    'end',
    guarded(() => {
      peerEnded = true;
      if (ready.length === 0) endOurSide();
    }),
  );
  tcp.on('error', noop);
  tcp.on(
    'close',
    guarded(() => {
      closed = true;
      clearTimeout(frameTimer);
      ready = [];
      writes.socketClosed();
      if (localCode !== undefined) socket.onClose(localCode, localReason);
      else socket.onClose(NO_CLOSE_FRAME, '');
    }),
  );
  return socket;
}
