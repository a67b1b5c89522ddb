/** Small helpers shared by the protocol test suites (error-code assertions, byte helpers). */
import { expect } from 'vitest';
import { E2E2Error, type E2E2ErrorCode } from '../../bindings/errors.js';

function checkError(thrown: unknown, code: E2E2ErrorCode, message?: string | RegExp): E2E2Error {
  if (thrown === undefined) throw new Error(`expected ${code}, but nothing was thrown`);
  expect(thrown).toBeInstanceOf(E2E2Error);
  const error = thrown as E2E2Error;
  expect(error.code).toBe(code);
  if (typeof message === 'string') expect(error.message).toBe(message);
  else if (message !== undefined) expect(error.message).toMatch(message);
  return error;
}

/** Run `fn`, require it to throw an E2E2Error with `code` (and `message` when given); returns the error. */
export function expectCode(fn: () => unknown, code: E2E2ErrorCode, message?: string | RegExp): E2E2Error {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  return checkError(thrown, code, message);
}

/** Async variant of expectCode. */
export async function expectCodeAsync(fn: () => Promise<unknown>, code: E2E2ErrorCode, message?: string | RegExp): Promise<E2E2Error> {
  let thrown: unknown;
  try {
    await fn();
  } catch (error) {
    thrown = error;
  }
  return checkError(thrown, code, message);
}

/** A copy of `bytes` with bit `bit` (0 = LSB of byte 0) flipped. */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

export const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const bytesOf = (hexText: string): Uint8Array => new Uint8Array(Buffer.from(hexText, 'hex'));
export const utf8Of = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
