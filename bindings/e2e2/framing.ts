/**
 * Byte-stream framing (SPEC.md §7.4): over a stream transport (TCP, pipes) each handshake message
 * and record travels as u16be(length) || bytes. Message-oriented transports (one WebSocket
 * message = one handshake message or record) do not frame. Lengths 1..65,535 (Noise §3).
 */
import { InvalidArgumentError, MalformedMessageError, PayloadTooLargeError } from '../errors.js';
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
 * stream can no longer be trusted to be in sync.
 */
export class FrameDecoder {
  #buffer: Uint8Array = new Uint8Array(0);
  #failed = false;

  /** Bytes received but not yet returned as a complete message. */
  get bufferedBytes(): number {
    return this.#buffer.length;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    if (!(chunk instanceof Uint8Array)) throw new InvalidArgumentError('chunk must be a Uint8Array');
    if (this.#failed) throw new MalformedMessageError('frame stream is out of sync after an earlier malformed frame');
    let buffer = chunk;
    if (this.#buffer.length > 0) {
      buffer = new Uint8Array(this.#buffer.length + chunk.length);
      buffer.set(this.#buffer);
      buffer.set(chunk, this.#buffer.length);
    }
    const messages: Uint8Array[] = [];
    let offset = 0;
    while (buffer.length - offset >= FRAME_HEADER_BYTES) {
      const length = (buffer[offset]! << 8) | buffer[offset + 1]!;
      if (length === 0) {
        this.#failed = true;
        this.#buffer = new Uint8Array(0);
        throw new MalformedMessageError('frame of length 0');
      }
      if (buffer.length - offset - FRAME_HEADER_BYTES < length) break;
      messages.push(buffer.slice(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + length));
      offset += FRAME_HEADER_BYTES + length;
    }
    this.#buffer = buffer.slice(offset);
    return messages;
  }
}
