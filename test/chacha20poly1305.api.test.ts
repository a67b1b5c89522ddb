/**
 * The ChaCha20-Poly1305 binding's contract (bindings/core/chacha20poly1305.ts): noble's call shape,
 * and a typed error (code, fault, message) for every misuse and every authentication failure
 * (RFC 8439 §2.8: a ciphertext shorter than the 16-byte tag cannot verify). Bad input changes no
 * state: the next valid call still works.
 */
import { describe, expect, it } from 'vitest';
import { chacha20poly1305 as nobleChaCha20Poly1305 } from '@noble/ciphers/chacha.js';
import {
  AuthenticationError,
  E2E2Error,
  InvalidArgumentError,
  InvalidKeyLengthError,
  InvalidNonceLengthError,
  InvalidOutputLengthError,
  InvalidStateError,
  MessageTooLargeError,
  PayloadTooLargeError,
  chacha20poly1305,
  chacha20poly1305Open,
  chacha20poly1305Seal,
} from '../bindings/crypto.js';
import { chacha20ForTestingOnly, poly1305ForTestingOnly } from '../bindings/core/chacha20poly1305.js';
import { hex } from './helpers/vectors.js';

const key = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const nonce = Uint8Array.from({ length: 12 }, (_, i) => 0x40 + i);
const aad = Uint8Array.from([1, 2, 3]);
const plaintext = new TextEncoder().encode('attack at dawn');

function thrown(fn: () => unknown): E2E2Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof E2E2Error) return error;
    throw new Error(`not an E2E2Error: ${String(error)}`);
  }
  throw new Error('expected a throw');
}

function expectError(fn: () => unknown, type: new (...args: never[]) => E2E2Error, code: string, fault: string, message: string): E2E2Error {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(type);
  expect({ code: error.code, fault: error.fault, message: error.message, name: error.name }).toEqual({ code, fault, message, name: type.name });
  return error;
}

/** A valid call after the failing ones: nothing was left half done. */
function expectStillWorks(): void {
  const sealed = chacha20poly1305(key, nonce, aad).encrypt(plaintext);
  expect(hex(sealed)).toBe(hex(nobleChaCha20Poly1305(key, nonce, aad).encrypt(plaintext)));
  expect(chacha20poly1305(key, nonce, aad).decrypt(sealed)).toEqual(plaintext);
}

describe('chacha20poly1305 call shape (noble compatible)', () => {
  it('exposes blockSize, nonceLength, tagLength like noble', () => {
    expect([chacha20poly1305.blockSize, chacha20poly1305.nonceLength, chacha20poly1305.tagLength]).toEqual([64, 12, 16]);
    expect([nobleChaCha20Poly1305.blockSize, nobleChaCha20Poly1305.nonceLength, nobleChaCha20Poly1305.tagLength]).toEqual([64, 12, 16]);
  });
  it('AAD is optional and defaults to empty', () => {
    expect(hex(chacha20poly1305(key, nonce).encrypt(plaintext))).toBe(hex(chacha20poly1305(key, nonce, new Uint8Array(0)).encrypt(plaintext)));
    expect(hex(chacha20poly1305Seal(key, nonce, plaintext))).toBe(hex(nobleChaCha20Poly1305(key, nonce).encrypt(plaintext)));
  });
  it('returns fresh arrays, never views into WASM memory', () => {
    const a = chacha20poly1305(key, nonce).encrypt(plaintext);
    const b = chacha20poly1305(key, nonce).encrypt(plaintext);
    expect(a.buffer).not.toBe(b.buffer);
    expect(a.buffer.byteLength).toBe(a.length);
    expect(a.byteOffset).toBe(0);
    const opened = chacha20poly1305(key, nonce).decrypt(a);
    expect(opened.buffer.byteLength).toBe(opened.length);
  });
  it('accepts Buffer and subarray views, and reads them at call time like noble', () => {
    const backing = new Uint8Array(100).fill(9);
    backing.set(key, 10);
    const keyView = backing.subarray(10, 42);
    const sealed = chacha20poly1305(Buffer.from(key), nonce).encrypt(Buffer.from(plaintext));
    expect(hex(chacha20poly1305(keyView, nonce).decrypt(sealed))).toBe(hex(plaintext));
  });
  it('decrypt may be called many times on one instance', () => {
    const sealed = chacha20poly1305(key, nonce, aad).encrypt(plaintext);
    const cipher = chacha20poly1305(key, nonce, aad);
    for (let i = 0; i < 3; i++) expect(cipher.decrypt(sealed)).toEqual(plaintext);
  });
});

describe('caller errors', () => {
  it('key of the wrong length: ERR_INVALID_KEY_LENGTH', () => {
    for (const length of [0, 16, 31, 33, 64]) {
      expectError(() => chacha20poly1305(new Uint8Array(length), nonce), InvalidKeyLengthError, 'ERR_INVALID_KEY_LENGTH', 'caller', `key must be 32 bytes, got ${length}`);
      expectError(() => chacha20poly1305Seal(new Uint8Array(length), nonce, plaintext), InvalidKeyLengthError, 'ERR_INVALID_KEY_LENGTH', 'caller', `key must be 32 bytes, got ${length}`);
    }
    expectStillWorks();
  });
  it('nonce of the wrong length: ERR_INVALID_NONCE_LENGTH', () => {
    for (const length of [0, 8, 11, 13, 24]) {
      expectError(() => chacha20poly1305(key, new Uint8Array(length)), InvalidNonceLengthError, 'ERR_INVALID_NONCE_LENGTH', 'caller', `nonce must be 12 bytes, got ${length}`);
      expectError(() => chacha20poly1305Open(key, new Uint8Array(length), new Uint8Array(16)), InvalidNonceLengthError, 'ERR_INVALID_NONCE_LENGTH', 'caller', `nonce must be 12 bytes, got ${length}`);
    }
    expectStillWorks();
  });
  it('arguments that are not Uint8Array: ERR_INVALID_ARGUMENT', () => {
    const bad: unknown[] = [undefined, null, 'x'.repeat(32), Array.from(key), new Uint16Array(16), key.buffer, 42];
    for (const value of bad) {
      expectError(() => chacha20poly1305(value as Uint8Array, nonce), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', 'caller', 'key must be a Uint8Array');
      expectError(() => chacha20poly1305(key, value as Uint8Array), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', 'caller', 'nonce must be a Uint8Array');
      expectError(() => chacha20poly1305(key, nonce).encrypt(value as Uint8Array), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', 'caller', 'plaintext must be a Uint8Array');
      expectError(() => chacha20poly1305(key, nonce).decrypt(value as Uint8Array), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', 'caller', 'ciphertext must be a Uint8Array');
      if (value !== undefined) {
        // undefined means "no AAD" / "no output", as in noble.
        expectError(() => chacha20poly1305Seal(key, nonce, plaintext, value as Uint8Array), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', 'caller', 'aad must be a Uint8Array');
        expectError(() => chacha20poly1305(key, nonce, value as Uint8Array), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', 'caller', 'aad must be a Uint8Array');
        expectError(() => chacha20poly1305(key, nonce).encrypt(plaintext, value as Uint8Array), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', 'caller', 'output must be a Uint8Array');
      }
    }
    expectStillWorks();
  });
  it('output of the wrong length: ERR_INVALID_OUTPUT_LENGTH, nothing written', () => {
    const output = new Uint8Array(plaintext.length + 15).fill(7);
    expectError(() => chacha20poly1305(key, nonce).encrypt(plaintext, output), InvalidOutputLengthError, 'ERR_INVALID_OUTPUT_LENGTH', 'caller', `output must be ${plaintext.length + 16} bytes, got ${plaintext.length + 15}`);
    const sealed = chacha20poly1305(key, nonce).encrypt(plaintext);
    expectError(() => chacha20poly1305(key, nonce).decrypt(sealed, output), InvalidOutputLengthError, 'ERR_INVALID_OUTPUT_LENGTH', 'caller', `output must be ${plaintext.length} bytes, got ${plaintext.length + 15}`);
    expect(output.every((b) => b === 7)).toBe(true);
    expectStillWorks();
  });
});

describe('the RFC 8439 §2.8 size limit: plaintexts of at most 2^38 - 64 bytes', () => {
  /**
   * A Uint8Array that reports a length of `length` (Node 22+ could allocate one that large; this
   * machine cannot spare 256 GiB): the check must reject it before reading a byte.
   */
  function claimingLength(length: number): Uint8Array {
    const bytes = new Uint8Array(64);
    Object.defineProperty(bytes, 'length', { value: length });
    return bytes;
  }
  const limit = 2 ** 38 - 64;

  it('seal refuses one byte more (ERR_PAYLOAD_TOO_LARGE); open refuses a ciphertext of one byte more (ERR_MESSAGE_TOO_LARGE)', () => {
    const message = 'plaintext must be at most 2^38 - 64 bytes (RFC 8439 §2.8)';
    expectError(() => chacha20poly1305(key, nonce).encrypt(claimingLength(limit + 1)), PayloadTooLargeError, 'ERR_PAYLOAD_TOO_LARGE', 'caller', message);
    expectError(() => chacha20poly1305Seal(key, nonce, claimingLength(limit + 1)), PayloadTooLargeError, 'ERR_PAYLOAD_TOO_LARGE', 'caller', message);
    const openMessage = 'ciphertext must be at most 2^38 - 64 + 16 bytes (RFC 8439 §2.8)';
    expectError(() => chacha20poly1305(key, nonce).decrypt(claimingLength(limit + 17)), MessageTooLargeError, 'ERR_MESSAGE_TOO_LARGE', 'peer', openMessage);
    expectError(() => chacha20poly1305Open(key, nonce, claimingLength(limit + 17)), MessageTooLargeError, 'ERR_MESSAGE_TOO_LARGE', 'peer', openMessage);
    expectStillWorks();
  });
});

describe('lifecycle errors', () => {
  it('a second encrypt on one instance: ERR_INVALID_STATE (nonce reuse), like noble', () => {
    const cipher = chacha20poly1305(key, nonce);
    cipher.encrypt(plaintext);
    expectError(() => cipher.encrypt(plaintext), InvalidStateError, 'ERR_INVALID_STATE', 'lifecycle', 'encrypt() was already called on this key and nonce; use a new nonce');
    const noble = nobleChaCha20Poly1305(key, nonce);
    noble.encrypt(plaintext);
    expect(() => noble.encrypt(plaintext)).toThrow();
    expectStillWorks();
  });
});

describe('peer errors', () => {
  const sealed = chacha20poly1305(key, nonce, aad).encrypt(plaintext);
  it('a ciphertext shorter than the tag: ERR_AUTHENTICATION_FAILED with the one message', () => {
    for (let length = 0; length < 16; length++) {
      const error = expectError(() => chacha20poly1305(key, nonce, aad).decrypt(sealed.subarray(0, length)), AuthenticationError, 'ERR_AUTHENTICATION_FAILED', 'peer', 'authentication failed');
      expect(error.cause).toBe('ciphertext shorter than the tag');
    }
    expectStillWorks();
  });
  it('a wrong tag: the same code and message, detail only in cause', () => {
    const forged = sealed.slice();
    forged[forged.length - 1]! ^= 0x80;
    const error = expectError(() => chacha20poly1305(key, nonce, aad).decrypt(forged), AuthenticationError, 'ERR_AUTHENTICATION_FAILED', 'peer', 'authentication failed');
    expect(error.cause).toBe('tag mismatch');
    expect(error.message).not.toMatch(/[0-9a-f]{8}/);
    expectStillWorks();
  });
});

describe('test-only raw entry points', () => {
  it('validate their arguments with typed errors', () => {
    expectError(() => chacha20ForTestingOnly(key, nonce, -1, plaintext), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', 'caller', 'counter must be a u32');
    expectError(() => chacha20ForTestingOnly(key, nonce, 2 ** 32, plaintext), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', 'caller', 'counter must be a u32');
    expectError(() => chacha20ForTestingOnly(key, nonce, 0, new Uint8Array(65_537)), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', 'caller', 'data must be at most 65536 bytes');
    expectError(() => poly1305ForTestingOnly(new Uint8Array(16), plaintext), InvalidKeyLengthError, 'ERR_INVALID_KEY_LENGTH', 'caller', 'key must be 32 bytes, got 16');
    expectError(() => poly1305ForTestingOnly(key, new Uint8Array(65_537)), InvalidArgumentError, 'ERR_INVALID_ARGUMENT', 'caller', 'message must be at most 65536 bytes');
    expectStillWorks();
  });
});
