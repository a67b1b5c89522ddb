/**
 * WHATWG streams over a channel (browsers, Deno, Bun, Workers, Node): `channel.webStreams()` gives
 * `{ readable, writable }`, a ReadableStream and a WritableStream of bytes (Uint8Array), usable
 * with `pipeTo()` and as the argument of `pipeThrough()`. Browser-safe: only the global stream
 * classes (WHATWG Streams Standard), no Node imports.
 *
 * - Reading is pull-based: incoming messages are enqueued until the stream's queue holds
 *   `readableHighWaterMark` bytes (ByteLengthQueuingStrategy); then the channel is paused, and
 *   `pull()` resumes it. (A WHATWG WebSocket cannot pause: there the platform keeps reading.)
 * - Writing resolves each write() at once while the channel is below its writableHighWaterMark,
 *   else when the channel emits 'drain': a producer awaiting its writes (pipeTo does) never has
 *   more than that in flight.
 * - `writable.close()` ends our direction with the CLOSE record (SPEC.md §7.2, the half-close) and
 *   resolves once it has left the process; the peer's CLOSE record closes `readable`.
 * - `readable.cancel(reason)` and `writable.abort(reason)` end the whole channel at once, without
 *   a CLOSE record (the peer sees a truncation, ERR_CONNECTION_CLOSED): with code 1011 (4011
 *   from a WHATWG WebSocket), or the code of `reason` when it is an E2E2Error.
 * - Errors are the channel's typed errors: a truncation (the WebSocket closed before the peer's
 *   CLOSE record) errors both streams with ERR_CONNECTION_CLOSED.
 */
import { ApplicationError, ConnectionClosedError, InvalidArgumentError, isE2E2Error, type E2E2Error } from '../errors.js';
import type { Channel, CloseInfo } from './channel.js';
import { DEFAULT_WEB_STREAM_HIGH_WATER_MARK_BYTES, integerOption } from './limits.js';
import { claimChannelReader } from './stream-claim.js';

/** Options of `channel.webStreams()`: the queue sizes of the two streams, bytes. */
export interface WebStreamsOptions {
  /** Bytes the readable's queue holds before the channel is paused. Default 65,536. */
  readableHighWaterMark?: number;
  /** Bytes the writable's queue accepts before `writer.desiredSize` drops to 0. Default 65,536. */
  writableHighWaterMark?: number;
}

/** A channel as a pair of WHATWG byte streams (the shape `pipeThrough()` takes). */
export interface ChannelWebStreams {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

/** The error a cancel() or abort() ends the channel with. */
function abortError(reason: unknown, what: string): E2E2Error {
  return isE2E2Error(reason) ? reason : new ApplicationError(`the channel's ${what}`, { cause: reason });
}

/** @internal Build the pair; `Channel.webStreams()` is the public way in. */
export function channelWebStreams(channel: Channel, options: WebStreamsOptions = {}): ChannelWebStreams {
  const readableHighWaterMark = integerOption(options.readableHighWaterMark, DEFAULT_WEB_STREAM_HIGH_WATER_MARK_BYTES, 'readableHighWaterMark');
  const writableHighWaterMark = integerOption(options.writableHighWaterMark, DEFAULT_WEB_STREAM_HIGH_WATER_MARK_BYTES, 'writableHighWaterMark');
  claimChannelReader(channel, 'webStreams()');

  let closeInfo: CloseInfo | undefined;
  const unsubscribe: (() => void)[] = [];
  /** The write() waiting for 'drain', if any. */
  let waiting: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  let readableDone = false;

  const readable = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        unsubscribe.push(
          channel.on('message', (data) => {
            if (readableDone) return;
            controller.enqueue(data);
            // Queue full: stop reading from the network until pull() asks for more.
            if ((controller.desiredSize ?? 0) <= 0) channel.pause();
          }),
          channel.on('end', () => {
            if (readableDone) return;
            readableDone = true;
            controller.close();
          }),
          channel.on('close', (info) => {
            closeInfo = info;
            if (info.error && !readableDone) {
              readableDone = true;
              controller.error(info.error);
            }
          }),
        );
      },
      pull() {
        channel.resume();
      },
      cancel(reason) {
        readableDone = true;
        for (const off of unsubscribe) off();
        return channel.destroy(abortError(reason, 'readable stream was cancelled')).then(() => undefined);
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: readableHighWaterMark }),
  );

  unsubscribe.push(
    channel.on('drain', () => {
      const w = waiting;
      waiting = undefined;
      w?.resolve();
    }),
  );
  // A write waiting for 'drain' when the channel closes: it fails with the channel's error.
  void channel.closed.then((info) => {
    closeInfo = info;
    const w = waiting;
    waiting = undefined;
    w?.reject(info.error ?? new ConnectionClosedError('the channel closed before the write drained', { closeCode: info.code, closeReason: info.reason }));
  });

  const writable = new WritableStream<Uint8Array>(
    {
      write(chunk) {
        if (closeInfo?.error) throw closeInfo.error;
        if (!(chunk instanceof Uint8Array)) {
          // The stream is errored from here on and nothing could end the channel: end it now (1011).
          const error = new InvalidArgumentError('the writable stream takes Uint8Array chunks');
          void channel.destroy(error);
          throw error;
        }
        if (channel.write(chunk)) return;
        return new Promise<void>((resolve, reject) => (waiting = { resolve, reject }));
      },
      async close() {
        if (closeInfo?.error) throw closeInfo.error;
        channel.end();
        await channel.drained();
        if (closeInfo?.error) throw closeInfo.error;
      },
      abort(reason) {
        return channel.destroy(abortError(reason, 'writable stream was aborted')).then(() => undefined);
      },
    },
    // ByteLengthQueuingStrategy's sizing, except that a chunk without a byteLength reaches write()
    // and gets ERR_INVALID_ARGUMENT there, instead of the strategy's untyped RangeError.
    { highWaterMark: writableHighWaterMark, size: (chunk: unknown) => (ArrayBuffer.isView(chunk) ? chunk.byteLength : 0) },
  );
  return { readable, writable };
}
