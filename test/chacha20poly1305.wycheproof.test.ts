/**
 * Project Wycheproof chacha20_poly1305_test.json (../shared/vectors/wycheproof, read in place):
 * 325 tests, 256 valid (each must seal to ct || tag and open back to msg) and 69 invalid
 * (9 nonces of a wrong size, rejected with ERR_INVALID_NONCE_LENGTH; 60 modified tags, rejected
 * with ERR_AUTHENTICATION_FAILED). Skipped, with the reason printed, when the file is absent.
 */
import { describe, expect, it } from 'vitest';
import { AuthenticationError, InvalidNonceLengthError, chacha20poly1305 } from '../bindings/crypto.js';
import { hex, loadSharedVectors, unhex, type WycheproofFile } from './helpers/vectors.js';

interface AeadTest {
  tcId: number;
  comment: string;
  flags: string[];
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: 'valid' | 'invalid' | 'acceptable';
}
interface AeadGroup {
  ivSize: number;
  keySize: number;
  tagSize: number;
  tests: AeadTest[];
}

const data = loadSharedVectors<WycheproofFile<AeadGroup>>('wycheproof/chacha20_poly1305_test.json');
const tests = data?.testGroups.flatMap((group) => group.tests) ?? [];

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe.skipIf(!data)('Wycheproof chacha20_poly1305_test.json', () => {
  it('has the expected test counts', () => {
    expect(data!.algorithm).toBe('CHACHA20-POLY1305');
    expect(data!.numberOfTests).toBe(325);
    expect(tests.length).toBe(325);
    expect(tests.filter((t) => t.result === 'valid').length).toBe(256);
    expect(tests.filter((t) => t.result === 'invalid').length).toBe(69);
    expect(tests.filter((t) => t.result === 'acceptable').length).toBe(0);
  });

  it('every valid test seals to ct || tag and opens to msg', () => {
    let checked = 0;
    for (const t of tests.filter((test) => test.result === 'valid')) {
      const key = unhex(t.key), nonce = unhex(t.iv), aad = unhex(t.aad), msg = unhex(t.msg);
      const sealed = chacha20poly1305(key, nonce, aad).encrypt(msg);
      expect(hex(sealed), `tcId ${t.tcId}`).toBe(t.ct + t.tag);
      const opened = chacha20poly1305(key, nonce, aad).decrypt(unhex(t.ct + t.tag));
      expect(hex(opened), `tcId ${t.tcId}`).toBe(t.msg);
      checked++;
    }
    expect(checked).toBe(256);
  });

  it('every invalid test is rejected with the typed error its flaw calls for', () => {
    let nonceSize = 0, modifiedTag = 0;
    for (const t of tests.filter((test) => test.result === 'invalid')) {
      const key = unhex(t.key), nonce = unhex(t.iv), aad = unhex(t.aad);
      if (t.flags.includes('InvalidNonceSize')) {
        expect(nonce.length, `tcId ${t.tcId}`).not.toBe(12);
        const error = thrown(() => chacha20poly1305(key, nonce, aad).decrypt(unhex(t.ct + t.tag)));
        expect(error, `tcId ${t.tcId}`).toBeInstanceOf(InvalidNonceLengthError);
        expect(error).toMatchObject({ code: 'ERR_INVALID_NONCE_LENGTH', fault: 'caller', message: `nonce must be 12 bytes, got ${nonce.length}` });
        nonceSize++;
      } else {
        expect(t.flags, `tcId ${t.tcId}`).toEqual(['ModifiedTag']);
        const error = thrown(() => chacha20poly1305(key, nonce, aad).decrypt(unhex(t.ct + t.tag)));
        expect(error, `tcId ${t.tcId}`).toBeInstanceOf(AuthenticationError);
        expect(error).toMatchObject({ code: 'ERR_AUTHENTICATION_FAILED', fault: 'peer', message: 'authentication failed' });
        // The ciphertext is genuine, only the tag was modified: sealing msg gives ct and a different tag.
        const sealed = hex(chacha20poly1305(key, nonce, aad).encrypt(unhex(t.msg)));
        expect(sealed.slice(0, t.ct.length)).toBe(t.ct);
        expect(sealed.slice(t.ct.length)).not.toBe(t.tag);
        modifiedTag++;
      }
    }
    expect([nonceSize, modifiedTag]).toEqual([9, 60]);
  });
});
