/**
 * The record fast path (issue 11 item 1): records sealed straight into a buffer with room for
 * the transport's frame header (RFC 8439 §2.8 seal of type || body in one WASM call), and
 * frames decoded as views of the read chunk (SPEC.md §7.4). Each must give exactly the bytes of
 * the plain path, and keep the hostile-input rules of the plain path.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClientHandshake, createServerHandshake, encodeFrame, FrameDecoder, generateApiKey } from '../bindings/index.js';
import { useBackend } from '../bindings/crypto.js';
import { chacha20poly1305Seal, chacha20poly1305SealPrefixed } from '../bindings/core/chacha20poly1305.js';
import { wasmMemorySnapshotForTestingOnly } from '../bindings/core/wasm.js';
import { sealWithHeadroom } from '../bindings/e2e2/session.js';
import { nobleBackend } from '../bindings/noble.js';
import { expectCode, hexOf, utf8Of } from './oracle/harness.js';
import { bytesFromSeed, containsBytes } from './helpers/random.js';
import * as noise from './oracle/noise.js';

const KEY = generateApiKey();

/** Two identical client sessions (fixed ephemerals) and one server session: seal on one, compare with the other. */
async function twinClients() {
  const make = async () => {
    const c = createClientHandshake({ apiKey: KEY.token, fixedEphemeralPrivateKeyForTestingOnly: bytesFromSeed(31, 32) });
    const s = createServerHandshake({ resolveKey: () => KEY.secret, fixedEphemeralPrivateKeyForTestingOnly: bytesFromSeed(32, 32) });
    const { message2, session: server } = await s.respond(c.writeMessage1());
    return { client: c.readMessage2(message2), server };
  };
  const a = await make();
  const b = await make();
  return { fast: a.client, plain: b.client, server: a.server };
}

afterEach(() => useBackend('wasm'));

describe('chacha20poly1305SealPrefixed: seal(prefix || body) after headroom zero bytes', () => {
  const key = bytesFromSeed(1, 32);
  const nonce = bytesFromSeed(2, 12);
  for (const backend of ['wasm', 'noble'] as const) {
    it(`equals chacha20poly1305Seal of the concatenation (${backend}; one call, and the streamed fallback past 64 KiB)`, () => {
      if (backend === 'noble') useBackend(nobleBackend);
      for (const size of [0, 1, 1000, 65_518, 65_519, 70_000]) {
        const body = bytesFromSeed(size + 3, size);
        const whole = new Uint8Array(1 + size);
        whole[0] = 0x03;
        whole.set(body, 1);
        const expected = chacha20poly1305Seal(key, nonce, whole);
        for (const headroom of [0, 2, 8]) {
          const out = chacha20poly1305SealPrefixed(key, nonce, 0x03, body, headroom);
          expect(out.length, `size ${size}`).toBe(headroom + expected.length);
          expect(out.subarray(0, headroom).every((b) => b === 0)).toBe(true);
          expect(hexOf(out.subarray(headroom)), `size ${size} headroom ${headroom}`).toBe(hexOf(expected));
        }
      }
    });
  }

  it('leaves neither key nor plaintext in WASM memory', () => {
    const body = bytesFromSeed(9, 4096);
    chacha20poly1305SealPrefixed(key, nonce, 0x01, body, 2);
    const heap = wasmMemorySnapshotForTestingOnly();
    expect(containsBytes(heap, key)).toBe(false);
    expect(containsBytes(heap, body.subarray(0, 64))).toBe(false);
  });
});

describe('sealWithHeadroom: the record seal() gives, after room for a frame header', () => {
  it('same bytes as seal() and rekey() of a twin session, and the peer opens them', async () => {
    const { fast, plain, server } = await twinClients();
    const cases: [Uint8Array, boolean, number][] = [
      [utf8Of('hello'), false, 2],
      [new Uint8Array(0), false, 8],
      [bytesFromSeed(5, 65_518), false, 4],
      [utf8Of('rekeyed'), true, 2],
      [utf8Of('after the rekey'), false, 0],
    ];
    for (const [data, rekey, headroom] of cases) {
      const framed = sealWithHeadroom(fast, data, rekey, headroom);
      const record = rekey ? plain.rekey(data) : plain.seal(data);
      expect(framed.subarray(0, headroom).every((b) => b === 0)).toBe(true);
      expect(hexOf(framed.subarray(headroom))).toBe(hexOf(record));
      const opened = server.open(framed.subarray(headroom));
      expect(opened.type).toBe(rekey ? 'rekey' : 'data');
      expect(opened.type !== 'close' && hexOf(opened.data)).toBe(hexOf(data));
    }
  });

  it('keeps the checks of seal(): too large, closed, pending', async () => {
    const { fast, server } = await twinClients();
    expectCode(() => sealWithHeadroom(fast, new Uint8Array(65_519), false, 2), 'ERR_PAYLOAD_TOO_LARGE');
    expectCode(() => sealWithHeadroom(server, utf8Of('x'), false, 2), 'ERR_INVALID_STATE');
    fast.close();
    expectCode(() => sealWithHeadroom(fast, utf8Of('x'), false, 2), 'ERR_SESSION_CLOSED');
  });
});

describe('FrameDecoder.pushViews (SPEC.md §7.4)', () => {
  const messages = [Uint8Array.of(1), bytesFromSeed(7, 300), bytesFromSeed(8, 65_535), bytesFromSeed(9, 17)];
  const stream = noise.cat(...messages.map(encodeFrame));

  it('the same messages as push() for chunks of any size; whole frames are views of the chunk, split ones copies', () => {
    for (const size of [1, 2, 3, 299, 1000, stream.length]) {
      const decoder = new FrameDecoder();
      const out: Uint8Array[] = [];
      for (let i = 0; i < stream.length; i += size) {
        const chunk = stream.slice(i, i + size);
        for (const m of decoder.pushViews(chunk)) {
          const inside = m.buffer === chunk.buffer;
          const start = inside ? m.byteOffset : -1;
          // A view must lie inside the chunk, and a copy must own its buffer exactly.
          if (inside) expect(start + m.length).toBeLessThanOrEqual(chunk.length);
          else expect(m.buffer.byteLength).toBe(m.length);
          out.push(m.slice());
        }
      }
      expect(out.map(hexOf), `chunks of ${size}`).toEqual(messages.map(hexOf));
      expect(decoder.bufferedBytes).toBe(0);
    }
    const whole = stream.slice();
    const views = new FrameDecoder().pushViews(whole);
    expect(views.every((m) => m.buffer === whole.buffer)).toBe(true);
  });

  it('mixes with push() on one decoder', () => {
    const decoder = new FrameDecoder();
    const out = [...decoder.push(stream.subarray(0, 350)), ...decoder.pushViews(stream.slice(350, 40_000)), ...decoder.push(stream.subarray(40_000))];
    expect(out.map(hexOf)).toEqual(messages.map(hexOf));
  });

  it('refuses a zero or too large length as soon as its prefix is complete, even split across chunks, and stays poisoned', () => {
    const small = new FrameDecoder({ maxMessageBytes: 1000 });
    expect(small.pushViews(encodeFrame(Uint8Array.of(5)))).toHaveLength(1);
    expect(small.pushViews(Uint8Array.of(0x03))).toEqual([]);
    expect(small.bufferedBytes).toBe(1);
    expectCode(() => small.pushViews(Uint8Array.of(0xe9)), 'ERR_MESSAGE_TOO_LARGE');
    expect(small.bufferedBytes).toBe(0);
    expectCode(() => small.pushViews(encodeFrame(Uint8Array.of(1))), 'ERR_MALFORMED_MESSAGE');

    const inChunk = new FrameDecoder({ maxMessageBytes: 1000 });
    expectCode(() => inChunk.pushViews(noise.cat(encodeFrame(Uint8Array.of(1)), Uint8Array.of(0x03, 0xe9, 0, 0))), 'ERR_MESSAGE_TOO_LARGE');

    const zero = new FrameDecoder();
    expect(zero.pushViews(Uint8Array.of(0))).toEqual([]);
    expectCode(() => zero.pushViews(Uint8Array.of(0, 1, 2)), 'ERR_MALFORMED_MESSAGE');
    expectCode(() => zero.pushViews(Uint8Array.of(0, 1, 2)), 'ERR_MALFORMED_MESSAGE');
    expectCode(() => zero.pushViews('x' as unknown as Uint8Array), 'ERR_INVALID_ARGUMENT');
  });

  it('keeps only the unfinished frame: a chunk of complete frames leaves nothing buffered', () => {
    const decoder = new FrameDecoder();
    const chunk = noise.cat(encodeFrame(bytesFromSeed(1, 60_000)), encodeFrame(Uint8Array.of(1, 2)), Uint8Array.of(0x00));
    expect(decoder.pushViews(chunk)).toHaveLength(2);
    expect(decoder.bufferedBytes).toBe(1);
  });
});
