/** SHA-256 (FIPS 180-4): NIST examples, differential against @noble/hashes, incremental = one-shot, wiping, errors. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { sha256 } from '../bindings/crypto.js';
import { wasmMemorySnapshotForTestingOnly } from '../bindings/core/wasm.js';
import { FUZZ_RUNS, hex } from './helpers/vectors.js';
import { bytesArbitrary, bytesFromSeed, containsBytes, lengthArbitrary } from './helpers/random.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('sha256: NIST FIPS 180-2 Appendix B examples (SHA-256 of FIPS 180-4)', () => {
  it('B.1 "abc"', () => {
    expect(hex(sha256(ascii('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('B.2 the 448-bit two-block message', () => {
    expect(hex(sha256(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });
  it('B.3 one million "a" (streamed through the I/O buffer)', () => {
    expect(hex(sha256(new Uint8Array(1_000_000).fill(0x61)))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    );
  });
  it('the empty message', () => {
    expect(hex(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('sha256: differential against @noble/hashes', () => {
  it(`equals noble on ${FUZZ_RUNS} random messages of 0..70,000 bytes`, () => {
    fc.assert(
      fc.property(bytesArbitrary(), (message) => {
        expect(hex(sha256(message))).toBe(hex(nobleSha256(message)));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('equals noble at every length 0..300 and around the 64 KiB I/O buffer', () => {
    const lengths = [...Array.from({ length: 301 }, (_, i) => i), 65_535, 65_536, 65_537, 131_072, 131_073];
    for (const length of lengths) {
      const message = bytesFromSeed(length + 1, length);
      expect(hex(sha256(message)), `length ${length}`).toBe(hex(nobleSha256(message)));
    }
  });

  it('does not read outside a subarray view', () => {
    const backing = bytesFromSeed(7, 1000);
    const view = backing.subarray(100, 300);
    expect(sha256(view)).toEqual(nobleSha256(view.slice()));
  });
});

describe('sha256.create(): incremental hashing', () => {
  it(`equals one-shot for random split points (${FUZZ_RUNS} cases)`, () => {
    fc.assert(
      fc.property(
        fc.integer(),
        lengthArbitrary(),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        (seed, length, cuts) => {
          const message = bytesFromSeed(seed, length);
          const points = cuts.map((c) => Math.floor(c * length)).sort((a, b) => a - b);
          const hasher = sha256.create();
          let start = 0;
          for (const point of [...points, length]) {
            hasher.update(message.subarray(start, point));
            start = point;
          }
          expect(hex(hasher.digest())).toBe(hex(sha256(message)));
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('independent hashers interleave without interfering, and clone() forks the state', () => {
    const a = sha256.create().update(ascii('ab'));
    const b = sha256.create().update(ascii('xy'));
    const forked = a.clone();
    a.update(ascii('c'));
    b.update(ascii('z'));
    forked.update(ascii('d'));
    expect(hex(a.digest())).toBe(hex(nobleSha256(ascii('abc'))));
    expect(hex(b.digest())).toBe(hex(nobleSha256(ascii('xyz'))));
    expect(hex(forked.digest())).toBe(hex(nobleSha256(ascii('abd'))));
  });

  it('exposes noble-compatible sizes', () => {
    expect(sha256.outputLen).toBe(32);
    expect(sha256.blockLen).toBe(64);
    expect(sha256.create().outputLen).toBe(32);
  });
});

describe('sha256: errors', () => {
  it('rejects a non-Uint8Array message with ERR_INVALID_ARGUMENT', () => {
    expect(() => sha256('abc' as unknown as Uint8Array)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', fault: 'caller', message: 'message must be a Uint8Array' }),
    );
  });

  it('rejects update() and digest() after digest() with ERR_INVALID_STATE, and other hashers still work', () => {
    const hasher = sha256.create();
    hasher.digest();
    const expected = expect.objectContaining({ code: 'ERR_INVALID_STATE', fault: 'lifecycle', name: 'InvalidStateError' });
    expect(() => hasher.update(new Uint8Array(1))).toThrow(expected);
    expect(() => hasher.digest()).toThrow(expected);
    expect(hex(sha256(ascii('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('sha256: WASM memory hygiene', () => {
  const secret = bytesFromSeed(0x5eed, 48);
  const large = new Uint8Array(200_000);
  large.set(secret, 150_000);
  const cases: Array<[string, () => Uint8Array]> = [
    ['one-shot', () => sha256(secret)],
    ['streamed (> 64 KiB)', () => sha256(large)],
    ['incremental', () => sha256.create().update(secret).digest()],
  ];
  for (const [name, run] of cases) {
    it(`${name}: leaves neither the message nor the digest in WASM memory`, () => {
      const digest = run();
      const memory = wasmMemorySnapshotForTestingOnly();
      expect(containsBytes(memory, secret)).toBe(false);
      expect(containsBytes(memory, digest)).toBe(false);
    });
  }
});
