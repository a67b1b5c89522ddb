/**
 * Byte-stream framing (SPEC.md §7.4): over a stream transport (TCP, pipes) each handshake message
 * and record travels as u16be(length) || bytes. Message-oriented transports (one WebSocket
 * message = one handshake message or record) do not frame. Lengths 1..65,535 (Noise §3).
 */
import { InvalidArgumentError, MalformedMessageError, MessageTooLargeError, PayloadTooLargeError } from '../errors.js';
import { FRAME_HEADER_BYTES, MAX_MESSAGE_BYTES } from './constants.js';

/** u16be(message.length) || message. */
export function encodeFrame(message: Uint8Array): Uint8Array {
  if (!(message instanceof Uint8Array)) throw new InvalidArgumentError('message must be a Uint8Array');
  if (message.length === 0) throw new InvalidArgumentError('an empty message cannot be framed (no E2-E2 message is empty)');
  if (message.length > MAX_MESSAGE_BYTES) throw new PayloadTooLargeError(`a framed message is at most ${MAX_MESSAGE_BYTES} bytes`);
  const frame = new Uint8Array(FRAME_HEADER_BYTES + message.length);
  frame[0] = message.length >>> 8;
  frame[1] = message.length & 0xff;
  frame.set(message, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Incremental frame decoder: push stream chunks of any size, get back every complete message.
 * A zero length prefix is malformed (ERR_MALFORMED_MESSAGE) and poisons the decoder, since the
 * stream can no longer be trusted to be in sync. So does a length above `maxMessageBytes`
 * (ERR_MESSAGE_TOO_LARGE), refused as soon as its prefix arrives, before any of its bytes are kept.
 */
export class FrameDecoder {
  readonly #maxMessageBytes: number;

  /** `maxMessageBytes`: the largest length accepted (1..65,535; default 65,535, all the u16 prefix can say). */
  constructor(options: { maxMessageBytes?: number } = {}) {
    const max = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    if (!Number.isSafeInteger(max) || max < 1 || max > MAX_MESSAGE_BYTES) throw new InvalidArgumentError(`maxMessageBytes must be an integer from 1 to ${MAX_MESSAGE_BYTES}`);
    this.#maxMessageBytes = max;
  }

  /** Received bytes live in #buffer[#start, #end); the buffer grows by doubling (no quadratic copying on tiny chunks). */
  #buffer: Uint8Array = new Uint8Array(256);
  #start = 0;
  #end = 0;
  #failed = false;

  /** Bytes received but not yet returned as a complete message. */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  /** Feed bytes from the stream; returns the messages completed by them (SPEC.md §7.4), in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (!(chunk instanceof Uint8Array)) throw new InvalidArgumentError('chunk must be a Uint8Array');
    if (this.#failed) throw new MalformedMessageError('frame stream is out of sync after an earlier malformed frame');
    this.#append(chunk);
    const messages: Uint8Array[] = [];
    const buffer = this.#buffer;
    while (this.#end - this.#start >= FRAME_HEADER_BYTES) {
      const length = (buffer[this.#start]! << 8) | buffer[this.#start + 1]!;
      if (length === 0) {
        this.#failed = true;
        this.#start = this.#end = 0;
        throw new MalformedMessageError('frame of length 0');
      }
      if (length > this.#maxMessageBytes) {
        this.#failed = true;
        this.#start = this.#end = 0;
        throw new MessageTooLargeError(`a frame announces ${length} bytes; at most ${this.#maxMessageBytes} are accepted`);
      }
      if (this.#end - this.#start - FRAME_HEADER_BYTES < length) break;
      const from = this.#start + FRAME_HEADER_BYTES;
      messages.push(buffer.slice(from, from + length));
      this.#start = from + length;
    }
    return messages;
  }

  /**
   * As push(), without copying the frames that lie wholly inside `chunk`: those come back as
   * views of `chunk` (a frame begun in an earlier chunk is still returned as its own copy).
   * Only bytes of an unfinished frame are kept. For callers that use each message before they
   * change `chunk` (the TCP adapter, whose chunks are fresh reads that open() copies into WASM).
   */
  pushViews(chunk: Uint8Array): Uint8Array[] {
    if (!(chunk instanceof Uint8Array)) throw new InvalidArgumentError('chunk must be a Uint8Array');
    if (this.#failed) throw new MalformedMessageError('frame stream is out of sync after an earlier malformed frame');
    const messages: Uint8Array[] = [];
    let offset = 0;
    // Finish a frame begun earlier, taking from `chunk` only the bytes it still lacks.
    while (this.#end > this.#start && offset < chunk.length) {
      const pending = this.#end - this.#start;
      const need = pending < FRAME_HEADER_BYTES ? FRAME_HEADER_BYTES - pending : FRAME_HEADER_BYTES + this.#pendingLength() - pending;
      const take = Math.min(need, chunk.length - offset);
      this.#append(chunk.subarray(offset, offset + take));
      offset += take;
      if (this.#end - this.#start === FRAME_HEADER_BYTES) this.#checkLength(this.#pendingLength());
      else if (take === need) {
        const from = this.#start + FRAME_HEADER_BYTES;
        messages.push(this.#buffer.slice(from, this.#end));
        this.#start = this.#end = 0;
      }
    }
    // Whole frames inside the chunk: views, no copy.
    while (chunk.length - offset >= FRAME_HEADER_BYTES) {
      const length = (chunk[offset]! << 8) | chunk[offset + 1]!;
      this.#checkLength(length);
      if (chunk.length - offset - FRAME_HEADER_BYTES < length) break;
      messages.push(chunk.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + length));
      offset += FRAME_HEADER_BYTES + length;
    }
    // The start of the next frame (header refused above if its length is bad) waits in the buffer.
    if (offset < chunk.length) this.#append(chunk.subarray(offset));
    return messages;
  }

  /** The length announced by the pending frame's prefix (both prefix bytes are buffered). */
  #pendingLength(): number {
    return (this.#buffer[this.#start]! << 8) | this.#buffer[this.#start + 1]!;
  }

  /** Refuse a zero or too large announced length; poisons the decoder (the stream is out of sync). */
  #checkLength(length: number): void {
    if (length !== 0 && length <= this.#maxMessageBytes) return;
    this.#failed = true;
    this.#start = this.#end = 0;
    if (length === 0) throw new MalformedMessageError('frame of length 0');
    throw new MessageTooLargeError(`a frame announces ${length} bytes; at most ${this.#maxMessageBytes} are accepted`);
  }

  #append(chunk: Uint8Array): void {
    if (this.#end + chunk.length > this.#buffer.length) {
      const pending = this.#end - this.#start;
      if (pending + chunk.length <= this.#buffer.length) {
        this.#buffer.copyWithin(0, this.#start, this.#end);
      } else {
        let capacity = this.#buffer.length * 2;
        while (capacity < pending + chunk.length) capacity *= 2;
        const grown = new Uint8Array(capacity);
        grown.set(this.#buffer.subarray(this.#start, this.#end));
        this.#buffer = grown;
      }
      this.#start = 0;
      this.#end = pending;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }
}
