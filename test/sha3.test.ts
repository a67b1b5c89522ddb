/**
 * SHA3-256, SHA3-512, SHAKE128, SHAKE256 (FIPS 202): NIST example values, differential against @noble/hashes and
 * node:crypto (OpenSSL) for one-shot, chunked and XOF use, the noble-compatible API shape, errors, and no input,
 * state or output left in WASM memory.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as noble from '@noble/hashes/sha3.js';
import { InvalidOutputLengthError, InvalidStateError, Keccak, sha3_256, sha3_512, shake128, shake256 } from '../bindings/crypto.js';
import { core, wasmMemorySnapshotForTestingOnly } from '../bindings/core/wasm.js';
import { MLKEM_PART } from '../bindings/core/wasm-parts.js';
import { KECCAK_CONTEXT_BYTES } from '../assembly/constants.js';
import { expectTyped } from './helpers/errors.js';
import { FUZZ_RUNS, hex } from './helpers/vectors.js';
import { bytesArbitrary, bytesFromSeed, containsBytes } from './helpers/random.js';

/**
 * NIST CSRC, "Cryptographic Standards and Guidelines: Examples with Intermediate Values", FIPS 202 examples:
 * SHA3-256_Msg0.pdf, SHA3-256_1600.pdf, SHA3-512_Msg0.pdf, SHA3-512_1600.pdf, SHAKE128_Msg0.pdf,
 * SHAKE128_Msg1600.pdf, SHAKE256_Msg0.pdf, SHAKE256_Msg1600.pdf. "1600" is the 200-byte message 0xa3 * 200.
 * The SHAKE examples output 4096 bits (512 bytes); the first and last 32 bytes are typed in here.
 */
const MSG1600 = new Uint8Array(200).fill(0xa3);
const NIST = {
  sha3_256: {
    empty: 'a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a',
    msg1600: '79f38adec5c20307a98ef76e8324afbfd46cfd81b22e3973c65fa1bd9de31787',
  },
  sha3_512: {
    empty: 'a69f73cca23a9ac5c8b567dc185a756e97c982164fe25859e0d1dcc1475c80a615b2123af1f5f94c11e3e9402c3ac558f500199d95b6d3e301758586281dcd26',
    msg1600: 'e76dfad22084a8b1467fcf2ffa58361bec7628edf5f3fdc0e4805dc48caeeca81b7c13c30adf52a3659584739a2df46be589c51ca1a4a8416df6545a1ce8ba00',
  },
  shake128: {
    empty: ['7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26', '43e41b45a653f2a5c4492c1add544512dda2529833462b71a41a45be97290b6f'],
    msg1600: ['131ab8d2b594946b9c81333f9bb6e0ce75c3b93104fa3469d3917457385da037', '44c9fb359fd56ac0a9a75a743cff6862f17d7259ab075216c0699511643b6439'],
  },
  shake256: {
    empty: ['46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762f', 'ab0bae316339894304e35877b0c28a9b1fd166c796b9cc258a064a8f57e27f2a'],
    msg1600: ['cd8a920ed141aa0407a22d59288652e9d9f1a7ee0c1e7c1ca699424da84a904d', '6a1a9d7846436e4dca5728b6f760eef0ca92bf0be5615e96959d767197a0beeb'],
  },
};

const HASHES = [
  { name: 'sha3_256', ours: sha3_256, theirs: noble.sha3_256, openssl: 'sha3-256', blockLen: 136, outputLen: 32 },
  { name: 'sha3_512', ours: sha3_512, theirs: noble.sha3_512, openssl: 'sha3-512', blockLen: 72, outputLen: 64 },
] as const;
const SHAKES = [
  { name: 'shake128', ours: shake128, theirs: noble.shake128, openssl: 'shake128', blockLen: 168, outputLen: 16 },
  { name: 'shake256', ours: shake256, theirs: noble.shake256, openssl: 'shake256', blockLen: 136, outputLen: 32 },
] as const;

function openssl(algorithm: string, msg: Uint8Array, outputLength?: number): string {
  return createHash(algorithm, outputLength === undefined ? undefined : { outputLength }).update(msg).digest('hex');
}

describe('SHA-3: NIST FIPS 202 example values', () => {
  it('SHA3-256 and SHA3-512 of the empty message and of 0xa3 * 200', () => {
    expect(hex(sha3_256(new Uint8Array(0)))).toBe(NIST.sha3_256.empty);
    expect(hex(sha3_256(MSG1600))).toBe(NIST.sha3_256.msg1600);
    expect(hex(sha3_512(new Uint8Array(0)))).toBe(NIST.sha3_512.empty);
    expect(hex(sha3_512(MSG1600))).toBe(NIST.sha3_512.msg1600);
  });

  it('SHAKE128 and SHAKE256, 4096 output bits, one-shot and squeezed in uneven pieces', () => {
    for (const [fn, kat] of [[shake128, NIST.shake128], [shake256, NIST.shake256]] as const) {
      for (const [msg, [head, tail]] of [[new Uint8Array(0), kat.empty], [MSG1600, kat.msg1600]] as const) {
        const out = hex(fn(msg, { dkLen: 512 }));
        expect(out.slice(0, 64)).toBe(head);
        expect(out.slice(-64)).toBe(tail);
        const xof = fn.create();
        xof.update(msg.subarray(0, 7)).update(msg.subarray(7));
        const pieces = [1, 31, 136, 167, 168, 9].map((n) => hex(xof.xof(n))).join('');
        expect(pieces).toBe(out.slice(0, pieces.length));
      }
    }
  });
});

describe('SHA-3: differential against @noble/hashes and node:crypto (OpenSSL)', () => {
  it(`one-shot and chunked digests of random messages, around every rate boundary (${FUZZ_RUNS} cases)`, () => {
    fc.assert(
      fc.property(bytesArbitrary(3000), fc.integer({ min: 0, max: 400 }), (msg, cut) => {
        for (const h of HASHES) {
          const expected = hex(h.theirs(msg));
          expect(hex(h.ours(msg)), h.name).toBe(expected);
          const split = Math.min(cut, msg.length);
          expect(hex(h.ours.create().update(msg.subarray(0, split)).update(msg.subarray(split)).digest()), h.name).toBe(expected);
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`SHAKE with any dkLen, one-shot and as a stream of xof() calls (${FUZZ_RUNS} cases)`, () => {
    fc.assert(
      fc.property(bytesArbitrary(3000), fc.integer({ min: 0, max: 1200 }), fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 5 }), (msg, dkLen, reads) => {
        for (const s of SHAKES) {
          expect(hex(s.ours(msg, { dkLen })), s.name).toBe(hex(s.theirs(msg, { dkLen })));
          const ours = s.ours.create().update(msg), theirs = s.theirs.create().update(msg);
          for (const n of reads) expect(hex(ours.xof(n)), s.name).toBe(hex(theirs.xof(n)));
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('node:crypto agrees, including messages and outputs past the 64 KiB I/O buffer', () => {
    for (const length of [0, 1, 71, 72, 73, 135, 136, 137, 167, 168, 169, 65_535, 65_536, 65_537, 140_000]) {
      const msg = bytesFromSeed(length + 1, length);
      for (const h of HASHES) expect(hex(h.ours(msg)), `${h.name} ${length}`).toBe(openssl(h.openssl, msg));
      for (const s of SHAKES) {
        for (const dkLen of [0, 1, s.blockLen, 70_000]) {
          expect(hex(s.ours(msg, { dkLen })), `${s.name} ${length} -> ${dkLen}`).toBe(openssl(s.openssl, msg, dkLen));
        }
      }
    }
  });
});

describe('SHA-3: API', () => {
  it('has noble’s properties and defaults (SHAKE128 16 bytes, SHAKE256 32 bytes)', () => {
    for (const h of [...HASHES, ...SHAKES]) {
      expect(h.ours.blockLen, h.name).toBe(h.theirs.blockLen);
      expect(h.ours.outputLen, h.name).toBe(h.theirs.outputLen);
      expect(h.ours.canXOF, h.name).toBe(h.theirs.canXOF);
      expect([h.ours.blockLen, h.ours.outputLen]).toEqual([h.blockLen, h.outputLen]);
      const hasher = h.ours.create();
      expect(hasher).toBeInstanceOf(Keccak);
      expect([hasher.blockLen, hasher.outputLen, hasher.canXOF]).toEqual([h.blockLen, h.outputLen, h.theirs.canXOF]);
    }
    expect(shake128(new Uint8Array(0)).length).toBe(16);
    expect(shake256(new Uint8Array(0)).length).toBe(32);
    expect(shake256.create({ dkLen: 100 }).digest().length).toBe(100);
  });

  it('clone() forks the state; the original goes on unaffected', () => {
    const a = sha3_256.create().update(new Uint8Array([1, 2, 3]));
    const b = a.clone();
    b.update(new Uint8Array([4]));
    expect(hex(a.digest())).toBe(hex(noble.sha3_256(new Uint8Array([1, 2, 3]))));
    expect(hex(b.digest())).toBe(hex(noble.sha3_256(new Uint8Array([1, 2, 3, 4]))));
  });

  it('misuse is a typed error: output length, use after finish, update after xof, xof on SHA3', () => {
    for (const dkLen of [-1, 1.5, Number.NaN, 2 ** 32]) {
      expectTyped(() => shake128(new Uint8Array(1), { dkLen }), InvalidOutputLengthError, { code: 'ERR_INVALID_OUTPUT_LENGTH', message: `shake128 dkLen must be an integer in [0, 2^32 - 1], got ${dkLen}` });
    }
    const done = sha3_512.create();
    done.digest();
    expectTyped(() => done.update(new Uint8Array(1)), InvalidStateError, { code: 'ERR_INVALID_STATE', message: 'sha3_512 hasher already finished (digest() or destroy() was called)' });
    const squeezing = shake256.create();
    squeezing.xof(10);
    expectTyped(() => squeezing.update(new Uint8Array(1)), InvalidStateError, { code: 'ERR_INVALID_STATE', message: 'shake256: update() after xof()' });
    expectTyped(() => squeezing.digest(), InvalidStateError, { code: 'ERR_INVALID_STATE', message: 'shake256: digest() after xof()' });
    expectTyped(() => sha3_256.create().xof(1), InvalidStateError, { code: 'ERR_INVALID_STATE', message: 'sha3_256: xof() is only for SHAKE' });
    expect(() => sha3_256('abc' as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: 'message must be a Uint8Array' }));
  });

  it('does not modify its input', () => {
    const msg = bytesFromSeed(5, 300), copy = msg.slice();
    sha3_256(msg);
    shake128.create().update(msg).xof(100);
    expect(msg).toEqual(copy);
  });
});

describe('SHA-3: no input, state or output stays in WASM memory', () => {
  it('after one-shot, streamed (> 64 KiB) and incremental use', () => {
    const msg = bytesFromSeed(77, 140_000);
    const markers = [msg.slice(0, 48), msg.slice(70_000, 70_048), msg.slice(-48)];
    const outputs = [sha3_256(msg.subarray(0, 1000)), sha3_512(msg), shake128(msg, { dkLen: 70_000 }), shake256.create().update(msg.subarray(0, 500)).xof(300)];
    const memory = wasmMemorySnapshotForTestingOnly();
    for (const needle of [...markers, ...outputs.map((o) => o.subarray(0, 32)), outputs[2]!.subarray(69_000, 69_032)]) {
      expect(containsBytes(memory, needle)).toBe(false);
    }
    const { addr } = core(MLKEM_PART);
    const keccak = wasmMemorySnapshotForTestingOnly(MLKEM_PART);
    expect(keccak.subarray(addr.KECCAK_CTX!, addr.KECCAK_CTX! + KECCAK_CONTEXT_BYTES).every((b) => b === 0)).toBe(true);
    expect(keccak.subarray(addr.IO!, addr.IO! + 65_536).every((b) => b === 0)).toBe(true);
  });
});
