/** The report of test/conformance/http-check.mjs: every check ran, by name, and passed. */
import { expect } from 'vitest';
import type { ConformanceResult } from './runtimes.js';

/** The checks http-check.mjs runs, in order. */
export const HTTP_CHECKS = [
  'e2e2/http: a signed POST is 200 and the handler reads the body',
  'e2e2/http: an unsigned POST is 401 problem+json with the challenge',
  'e2e2/http: a preflight is 204 and a body over maxBodyBytes is 413',
];

export function expectHttpCheck(results: ConformanceResult[]): void {
  expect(results.filter((r) => !r.ok)).toEqual([]);
  expect(results.map((r) => r.name)).toEqual(HTTP_CHECKS);
}
