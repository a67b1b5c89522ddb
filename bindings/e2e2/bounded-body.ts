/**
 * Reading an HTTP body whole, up to a bound: an RFC 9530 Content-Digest covers every byte, so the
 * signer (createEapiFetch) and the verifier (e2e2/http) hold the whole body before anything else.
 * Memory is at most `max` bytes (plus one chunk) per body, whatever the sender streams.
 */
import { concatByteList } from '../noise/bytes.js';

/** The stream's bytes (an empty array for an empty stream); more than `max` bytes: cancels it and throws `tooLarge()`. */
export async function readStreamBounded(stream: ReadableStream<Uint8Array>, max: number, tooLarge: () => Error): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      // Not awaited: the body of a cloned Request is a tee branch, whose cancel() settles only once the
      // other branch is cancelled too (WHATWG Streams, ReadableStreamDefaultTee): awaiting it can hang (Bun did).
      void reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  return concatByteList(chunks);
}
