/**
 * A channel as a Node `Duplex` of bytes (Node only: it imports node:stream, so it lives outside
 * the browser build; `e2e2/channel` in Node and `e2e2/server` export it; browsers, Deno, Bun and
 * Workers use `channel.webStreams()`).
 *
 *   pipeline(source, channelDuplex(channel), sink)
 *
 * - Bytes, not objects: writes of any length go out through `channel.write()` (records of at most
 *   65,518 bytes); reads are Buffers, one per received record.
 * - Backpressure both ways: a write whose `channel.write()` returned false completes at the
 *   channel's 'drain', so `duplex.write()` returns false while the WebSocket holds the channel's
 *   writableHighWaterMark; a `push()` that returns false pauses the channel (no more reads from
 *   the network) until `_read()` resumes it.
 * - Half-close is the CLOSE record (SPEC.md §7.2: one per direction): `duplex.end()` sends ours
 *   once every write has been handed to the channel ('finish' follows once it has left the
 *   process); the peer's CLOSE record ends the readable side (push(null)). The Duplex's
 *   `allowHalfOpen` is the channel's: without it the channel ends our direction as soon as the
 *   peer's CLOSE arrives (SPEC.md §7.7), and the Duplex ends its writable side with it.
 * - Errors are the channel's typed errors: a WebSocket that closes before the peer's CLOSE record
 *   (a truncation) destroys the Duplex with ERR_CONNECTION_CLOSED; any failure the channel reports
 *   (authentication, protocol, keepalive, revocation) destroys it with that error.
 * - `duplex.destroy(error)` ends the channel at once without a CLOSE record (`channel.destroy`:
 *   1011, or the code of an E2E2Error), so the peer sees a truncation, never a clean end of a cut
 *   stream. `destroy()` without an error does the same unless both directions have already ended.
 */
import { Duplex } from 'node:stream';
import { ConnectionClosedError } from '../errors.js';
import type { Channel, CloseInfo } from './channel.js';
import { claimChannelReader } from './stream-claim.js';

/** Options of `channelDuplex()`: the sizes of the Duplex's own buffers (the channel keeps its high-water marks). */
export interface ChannelDuplexOptions {
  /** Bytes buffered on the readable side before the channel is paused. Default: Node's (16 KiB). */
  readableHighWaterMark?: number;
  /** Bytes buffered on the writable side before `write()` returns false. Default: Node's (16 KiB). */
  writableHighWaterMark?: number;
}

class ChannelDuplex extends Duplex {
  readonly #channel: Channel;
  #pendingWrite: ((error?: Error | null) => void) | undefined;
  #peerEnded = false;
  #weEnded = false;
  #closeInfo: CloseInfo | undefined;

  constructor(channel: Channel, options: ChannelDuplexOptions) {
    super({
      allowHalfOpen: channel.allowHalfOpen,
      decodeStrings: true,
      objectMode: false,
      ...(options.readableHighWaterMark !== undefined && { readableHighWaterMark: options.readableHighWaterMark }),
      ...(options.writableHighWaterMark !== undefined && { writableHighWaterMark: options.writableHighWaterMark }),
    });
    this.#channel = channel;
    channel.on('message', (data) => {
      // A view of the record's own copy, not a second copy.
      if (!this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength))) channel.pause();
    });
    channel.on('end', () => {
      this.#peerEnded = true;
      this.push(null);
    });
    channel.on('drain', () => this.#completeWrite());
    channel.on('close', (info) => {
      this.#closeInfo = info;
      if (info.error) return void this.destroy(info.error);
      // A clean close: both CLOSE records are through, so our direction has ended too (the
      // application called channel.end() or close() itself): end the writable side to match.
      if (this.#pendingWrite) this.#completeWrite(new ConnectionClosedError('the channel closed before the write was sent', { closeCode: info.code, closeReason: info.reason }));
      if (!this.writableEnded) this.end();
    });
  }

  #completeWrite(error?: Error): void {
    const callback = this.#pendingWrite;
    this.#pendingWrite = undefined;
    callback?.(error);
  }

  override _read(): void {
    this.#channel.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    let more: boolean;
    try {
      more = this.#channel.write(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    if (more) callback();
    else this.#pendingWrite = callback;
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#closeInfo?.error) return callback(this.#closeInfo.error);
    this.#weEnded = true;
    this.#channel.end();
    void this.#channel.drained().then(() => callback(this.#closeInfo?.error ?? null));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const channel = this.#channel;
    if (channel.state === 'closed') return callback(error);
    if (error === null && this.#peerEnded && this.#weEnded) {
      // Both CLOSE records are through: the WebSocket is closing with 1000; 'close' follows it.
      void channel.closed.then((info) => callback(info.error ?? null));
      return;
    }
    // Abandoned mid-stream: no CLOSE record, so the peer cannot take a cut stream for a whole one.
    void channel.destroy(error ?? undefined).then(() => callback(error));
  }
}

/**
 * The channel as a Node Duplex of bytes, with backpressure both ways and half-close mapped to
 * CLOSE records (see the file comment). Once per channel: the Duplex takes over its incoming
 * messages (ERR_INVALID_STATE on a second adapter).
 */
export function channelDuplex(channel: Channel, options: ChannelDuplexOptions = {}): Duplex {
  claimChannelReader(channel, 'channelDuplex()');
  return new ChannelDuplex(channel, options);
}
