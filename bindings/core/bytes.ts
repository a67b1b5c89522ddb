/** Argument checks shared by the primitive bindings. Messages name the argument, never its bytes. */
import { InvalidArgumentError, type E2E2Error } from '../errors.js';

type ErrorClass = new (message: string, options?: { cause?: unknown }) => E2E2Error;

/** Throw ERR_INVALID_ARGUMENT unless `value` is a Uint8Array. */
export function assertBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`${name} must be a Uint8Array`);
}

/** Throw `ErrorType` unless `value` is a Uint8Array of exactly `length` bytes. */
export function assertLength(value: unknown, length: number, name: string, ErrorType: ErrorClass): asserts value is Uint8Array {
  assertBytes(value, name);
  if (value.length !== length) throw new ErrorType(`${name} must be ${length} bytes, got ${value.length}`);
}

/** Constant-time equality for equal-length byte arrays (no early exit; the length itself is public). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
