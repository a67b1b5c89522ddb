/**
 * An in-memory MessageSocket pair (bindings/channel/socket.ts) and a Channel pair over it, for the
 * sans-IO channel's unit and mutation tests: no network, no timers of its own. Frames travel in
 * order, one macrotask-free hop (a microtask) per frame; a paused side holds what arrives until
 * resume(), close frames included, as `ws` does (RFC 6455 §5.5.1: the peer answers a close frame
 * with one; both sides then report the code of the first).
 */
import { Channel, type ChannelSettings } from '../../bindings/channel/channel.js';
import type { MessageSocket } from '../../bindings/channel/socket.js';
import { generateApiKey } from '../../bindings/e2e2/api-key.js';
import type { ClientSession, ServerSession } from '../../bindings/e2e2/session.js';
import type { E2E2Error } from '../../bindings/errors.js';
import { handshakePair } from './handshake.js';

const noop = () => {};

export class MemorySocket implements MessageSocket {
  whatwg = false;
  peer: MemorySocket | undefined;
  /** Every message passed to send() while open, copied. */
  readonly sent: Uint8Array[] = [];
  /** Every close(code, reason) call, in order. */
  readonly closeCalls: [number, string][] = [];
  terminated = 0;
  pauseCalls = 0;
  resumeCalls = 0;
  pings = 0;
  /** False: ping() returns false (a WHATWG socket). */
  canPing = true;
  /** Set by the test to simulate bytes waiting in the socket. */
  bufferedAmount = 0;
  paused = false;
  state: 'open' | 'closing' | 'closed' = 'open';
  #held: (() => void)[] = [];
  #drainWaiters: (() => void)[] = [];
  #sentCloseFrame = false;

  onMessage: (bytes: Uint8Array) => void = noop;
  onText: () => void = noop;
  onActivity: () => void = noop;
  onProtocolError: (error: E2E2Error) => void = noop;
  onClose: (code: number, reason: string) => void = noop;
  onFault: (error: unknown) => void = noop;

  /** Bytes the Channel leaves free in front of each record for sendReserved() (2: as the TCP adapter's header). */
  reservedHeadroom = 2;

  headroom(): number {
    return this.reservedHeadroom;
  }

  /** The record after its headroom travels as send() would carry it (the room itself is never read). */
  sendReserved(buffer: Uint8Array, headroom: number): void {
    this.send(buffer.subarray(headroom));
  }

  send(bytes: Uint8Array): void {
    if (this.state !== 'open') return;
    const copy = bytes.slice();
    this.sent.push(copy);
    this.peer?.arrive(() => {
      this.peer!.onActivity();
      this.peer!.onMessage(copy);
    });
  }

  /** The peer sends a text message. */
  sendText(): void {
    this.peer?.arrive(() => {
      this.peer!.onActivity();
      this.peer!.onText();
    });
  }

  close(code: number, reason: string): void {
    this.closeCalls.push([code, reason]);
    this.resume();
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.#sentCloseFrame = true;
    this.peer?.arrive(() => this.peer!.closeFrame(code, reason));
  }

  /** A close frame from the peer: answer it (unless ours went first) and report the close. */
  closeFrame(code: number, reason: string): void {
    if (this.state === 'closed') return;
    if (!this.#sentCloseFrame) {
      this.#sentCloseFrame = true;
      this.peer?.arrive(() => this.peer!.closeFrame(code, reason));
    }
    this.finish(code, reason);
  }

  terminate(): void {
    this.terminated++;
    if (this.state === 'closed') return;
    this.finish(1006, '');
    const peer = this.peer;
    if (peer) queueMicrotask(() => peer.finish(1006, ''));
  }

  finish(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.#held = [];
    this.flush();
    this.onClose(code, reason);
  }

  /** The bytes "left the process": bufferedAmount 0, drained() waiters resolve. */
  flush(): void {
    this.bufferedAmount = 0;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w();
  }

  drained(): Promise<void> {
    if (this.bufferedAmount === 0 || this.state === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  pause(): void {
    this.pauseCalls++;
    this.paused = true;
  }

  resume(): void {
    this.resumeCalls++;
    this.paused = false;
    const held = this.#held;
    this.#held = [];
    for (const deliver of held) this.arrive(deliver);
  }

  ping(): boolean {
    if (!this.canPing || this.state !== 'open') return false;
    this.pings++;
    return true;
  }

  /** A frame for this side arrives: now (next microtask), or at resume() while paused. */
  arrive(deliver: () => void): void {
    queueMicrotask(() => {
      if (this.state === 'closed') return;
      if (this.paused) this.#held.push(deliver);
      else deliver();
    });
  }
}

export function memorySocketPair(): [MemorySocket, MemorySocket] {
  const a = new MemorySocket();
  const b = new MemorySocket();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

export function testSettings(reportError: (error: E2E2Error) => void, overrides: Partial<ChannelSettings> = {}): ChannelSettings {
  return {
    maxMessageBytes: 65_535,
    closeTimeoutMs: 1_000,
    allowHalfOpen: false,
    writableHighWaterMark: 1 << 20,
    readableHighWaterMark: 1 << 20,
    keepaliveIntervalMs: 0,
    keepaliveTimeoutMs: 1_000,
    maxAgeMs: 0,
    reportError,
    ...overrides,
  };
}

export interface ChannelPair {
  client: Channel;
  server: Channel;
  clientSocket: MemorySocket;
  serverSocket: MemorySocket;
  /** What each side's reportError received. */
  clientErrors: E2E2Error[];
  serverErrors: E2E2Error[];
  keyId: string;
  clientSession: ClientSession;
  serverSession: ServerSession;
}

/** A client and a server Channel after a real in-memory handshake and key confirmation. */
export async function channelPair(options: { client?: Partial<ChannelSettings>; server?: Partial<ChannelSettings>; whatwg?: boolean } = {}): Promise<ChannelPair> {
  const key = generateApiKey();
  const { client: clientSession, server: serverSession } = await handshakePair(key);
  // The key confirmation (SPEC.md §7.7.2): the client's first record, empty.
  serverSession.open(clientSession.seal(new Uint8Array(0)));
  const [clientSocket, serverSocket] = memorySocketPair();
  clientSocket.whatwg = options.whatwg ?? false;
  const clientErrors: E2E2Error[] = [];
  const serverErrors: E2E2Error[] = [];
  const client = new Channel(clientSocket, clientSession, testSettings((e) => clientErrors.push(e), options.client));
  const server = new Channel(serverSocket, serverSession, testSettings((e) => serverErrors.push(e), options.server));
  return { client, server, clientSocket, serverSocket, clientErrors, serverErrors, keyId: key.keyId, clientSession, serverSession };
}

/** Let every queued microtask and frame run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
