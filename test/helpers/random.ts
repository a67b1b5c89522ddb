/**
 * Deterministic pseudo-random bytes for property tests: fast-check draws a (seed, length) pair,
 * this expands it, so 70 KB inputs cost microseconds and a failing case is reproducible from its seed.
 * (Test data only: xorshift32 is not a cryptographic generator.)
 */
import fc from 'fast-check';

export function bytesFromSeed(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed | 0) || 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * A length biased towards the interesting places: small sizes, every boundary of a 64-byte block
 * and of the 64 KiB WASM I/O buffer (with +-1), and anything up to `max`.
 */
export function lengthArbitrary(max = 70_000): fc.Arbitrary<number> {
  const boundaries: number[] = [];
  for (const edge of [16, 32, 55, 56, 64, 128, 256, 1024, 4096, 16_384, 65_536, 65_536 + 64, 131_072]) {
    for (const delta of [-1, 0, 1]) if (edge + delta >= 0 && edge + delta <= max) boundaries.push(edge + delta);
  }
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 300 }) },
    { weight: 2, arbitrary: fc.constantFrom(...boundaries) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max }) },
  );
}

/** Random bytes of an arbitrary length (see lengthArbitrary). */
export function bytesArbitrary(max = 70_000): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.integer(), lengthArbitrary(max)).map(([seed, length]) => bytesFromSeed(seed, length));
}

/** Does `needle` occur anywhere in `haystack`? (For "no secret left in WASM memory" checks.) */
export function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0) return true;
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(needle) !== -1;
}
