/**
 * Static WASM memory: every buffer is reserved at compile time with `memory.data`,
 * so no allocator runs and no address ever depends on input (let alone on a secret).
 *
 * Ownership rule: bindings/ write inputs into these buffers and make one call; before
 * returning, assembly/ wipes its inputs and everything it derived, except the output buffer,
 * which bindings/ copy out and then wipe (`takeBytes`).
 */
import { IO_BUFFER_BYTES } from './constants';

/** Input/output chunk buffer, 64-byte aligned for v128 loads. */
export const IO: usize = memory.data(IO_BUFFER_BYTES, 64);

/**
 * Zero `len` bytes at `ptr`. `memory.fill` on linear memory is observable by the host,
 * so the optimizer cannot drop it as a dead store (unlike memset in C).
 */
// @ts-ignore: decorator
@inline
export function wipe(ptr: usize, len: usize): void {
  memory.fill(ptr, 0, len);
}
