/**
 * Tests that kill mutants of bindings/e2e2/framing.ts (issue 13; SPEC.md §7.4): the frame bytes,
 * each refusal with its message, the limits at their bounds, refusal as soon as a bad prefix
 * arrives, the poisoned decoder, and reassembly across buffer compaction and growth.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../bindings/e2e2/framing.js';
import { expectCode } from './oracle/harness.js';
import { cat } from './oracle/noise.js';

const bytes = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + 1) & 0xff);
/** Messages as hex strings: toStrictEqual on 64 KiB typed arrays compares element by element, slowly. */
const hex = (messages: Uint8Array[]): string[] => messages.map((m) => Buffer.from(m).toString('hex'));

describe('encodeFrame', () => {
  it('u16be(length) || message', () => {
    expect(encodeFrame(Uint8Array.of(7))).toStrictEqual(Uint8Array.of(0, 1, 7));
    const m = bytes(0x1234);
    const frame = encodeFrame(m);
    expect(frame.length).toBe(0x1236);
    expect([frame[0], frame[1]]).toStrictEqual([0x12, 0x34]);
    expect(frame.subarray(2)).toStrictEqual(m);
    const max = encodeFrame(new Uint8Array(65535).fill(5));
    expect(max.length).toBe(65537);
    expect([max[0], max[1], max[2], max[65536]]).toStrictEqual([0xff, 0xff, 5, 5]);
  });

  it('refuses a non-Uint8Array, an empty and an oversized message, with their messages', () => {
    expectCode(() => encodeFrame([1] as never), 'ERR_INVALID_ARGUMENT', 'message must be a Uint8Array');
    expectCode(() => encodeFrame(new Uint8Array(0)), 'ERR_INVALID_ARGUMENT', 'an empty message cannot be framed (no E2-E2 message is empty)');
    expectCode(() => encodeFrame(new Uint8Array(65536)), 'ERR_PAYLOAD_TOO_LARGE', 'a framed message is at most 65535 bytes');
  });
});

describe('FrameDecoder', () => {
  it('maxMessageBytes: 1 to 65535, integers only; the default is 65535', () => {
    for (const maxMessageBytes of [0, -1, 65536, 1.5, Number.NaN, Infinity, '10'])
      expectCode(() => new FrameDecoder({ maxMessageBytes: maxMessageBytes as number }), 'ERR_INVALID_ARGUMENT', 'maxMessageBytes must be an integer from 1 to 65535');
    expect(new FrameDecoder({ maxMessageBytes: 1 }).push(encodeFrame(Uint8Array.of(3)))).toStrictEqual([Uint8Array.of(3)]);
    const big = [new Uint8Array(65535).fill(0xab)];
    expect(hex(new FrameDecoder({ maxMessageBytes: 65535 }).push(encodeFrame(big[0]!)))).toStrictEqual(hex(big));
    expect(hex(new FrameDecoder().push(encodeFrame(big[0]!)))).toStrictEqual(hex(big));
    expect(hex(new FrameDecoder({}).push(encodeFrame(big[0]!)))).toStrictEqual(hex(big));
  });

  it('a complete frame comes out of the push that completes it, not later', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(Uint8Array.of(0))).toStrictEqual([]);
    expect(decoder.bufferedBytes).toBe(1);
    expect(decoder.push(Uint8Array.of(2, 9))).toStrictEqual([]);
    expect(decoder.bufferedBytes).toBe(3);
    expect(decoder.push(Uint8Array.of(8))).toStrictEqual([Uint8Array.of(9, 8)]);
    expect(decoder.bufferedBytes).toBe(0);
    // Two frames and the first byte of a third in one chunk.
    expect(decoder.push(cat(encodeFrame(Uint8Array.of(1)), encodeFrame(Uint8Array.of(2, 3)), Uint8Array.of(0)))).toStrictEqual([Uint8Array.of(1), Uint8Array.of(2, 3)]);
    expect(decoder.bufferedBytes).toBe(1);
    expect(decoder.push(Uint8Array.of(1, 4))).toStrictEqual([Uint8Array.of(4)]);
    expect(decoder.push(new Uint8Array(0))).toStrictEqual([]);
  });

  it('a length at the limit passes; one above it is refused as soon as its 2-byte prefix arrives', () => {
    const decoder = new FrameDecoder({ maxMessageBytes: 300 });
    expect(decoder.push(encodeFrame(bytes(300)))).toStrictEqual([bytes(300)]);
    expectCode(() => decoder.push(Uint8Array.of(0x01, 0x2d)), 'ERR_MESSAGE_TOO_LARGE', 'a frame announces 301 bytes; at most 300 are accepted');
    expect(decoder.bufferedBytes).toBe(0);
    expectCode(() => decoder.push(encodeFrame(Uint8Array.of(1))), 'ERR_MALFORMED_MESSAGE', 'frame stream is out of sync after an earlier malformed frame');
  });

  it('a zero length prefix is refused at once and poisons the decoder (buffered bytes dropped)', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(Uint8Array.of(0, 5, 1, 2))).toStrictEqual([]);
    expect(decoder.bufferedBytes).toBe(4);
    expect(decoder.push(Uint8Array.of(3, 4, 5))).toStrictEqual([Uint8Array.of(1, 2, 3, 4, 5)]);
    expectCode(() => decoder.push(Uint8Array.of(0, 0)), 'ERR_MALFORMED_MESSAGE', 'frame of length 0');
    expect(decoder.bufferedBytes).toBe(0);
    expectCode(() => decoder.push(encodeFrame(Uint8Array.of(1))), 'ERR_MALFORMED_MESSAGE', 'frame stream is out of sync after an earlier malformed frame');
    expectCode(() => decoder.push('x' as never), 'ERR_INVALID_ARGUMENT', 'chunk must be a Uint8Array');
    const waiting = new FrameDecoder();
    waiting.push(Uint8Array.of(0, 3, 1));
    expectCode(() => waiting.push(Uint8Array.of(2, 3, 0, 0, 9)), 'ERR_MALFORMED_MESSAGE', 'frame of length 0');
    expect(waiting.bufferedBytes).toBe(0);
  });

  it('reassembles a stream of frames of many sizes from chunks of every size (compaction and growth of its buffer)', () => {
    const messages = [1, 255, 256, 257, 2, 1000, 3, 4096, 7, 300, 65535, 5, 511].map((n, i) => bytes(n, i));
    const stream = cat(...messages.map(encodeFrame));
    for (const chunkSize of [1, 2, 3, 7, 64, 255, 256, 257, 1023, 4099, stream.length]) {
      const decoder = new FrameDecoder();
      const out: Uint8Array[] = [];
      for (let o = 0; o < stream.length; o += chunkSize) out.push(...decoder.push(stream.subarray(o, o + chunkSize)));
      expect(hex(out), `chunks of ${chunkSize}`).toStrictEqual(hex(messages));
      expect(decoder.bufferedBytes).toBe(0);
    }
  });

  it('chunks that leave a partial frame behind, pushed in a rhythm that makes the buffer compact in place', () => {
    // After frame a, 48 bytes of frame b sit at offset 152 of the 256-byte buffer; 100 more do not fit
    // behind them but fit once moved to the front (148 <= 256); the rest (404 pending) makes it grow.
    const a = bytes(150, 1);
    const b = bytes(250, 2);
    const stream = cat(encodeFrame(a), encodeFrame(b), encodeFrame(a));
    const decoder = new FrameDecoder();
    expect(decoder.push(stream.subarray(0, 200))).toStrictEqual([a]);
    expect(decoder.bufferedBytes).toBe(48);
    expect(decoder.push(stream.subarray(200, 300))).toStrictEqual([]);
    expect(decoder.bufferedBytes).toBe(148);
    expect(decoder.push(stream.subarray(300))).toStrictEqual([b, a]);
  });
});
