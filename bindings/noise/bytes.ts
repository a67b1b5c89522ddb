/** Byte helpers of the Noise layer (bindings/e2e2/encoding.ts re-exports them). */

/** The concatenation of `parts`, in a new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return concatByteList(parts);
}

/** concatBytes for a list of any length (spreading a peer's million small chunks would overflow the argument list). */
export function concatByteList(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
