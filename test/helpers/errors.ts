/** Typed-error assertions for the primitive suites: class, code, message and (when given) fault. */
import { expect } from 'vitest';
import type { E2E2ErrorCode } from '../../bindings/errors.js';
import { expectCode } from '../oracle/harness.js';

export interface ErrorFields {
  code: E2E2ErrorCode;
  message: string;
  fault?: 'peer' | 'caller' | 'lifecycle';
}

/** `fn` throws an instance of `type` with these fields. */
export function expectTyped(fn: () => unknown, type: new (...args: never[]) => Error, fields: ErrorFields): void {
  const error = expectCode(fn, fields.code, fields.message);
  expect(error).toBeInstanceOf(type);
  if (fields.fault !== undefined) expect(error.fault).toBe(fields.fault);
}
