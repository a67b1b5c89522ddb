/**
 * Tests that kill mutants of bindings/e2e2/constants.ts (issue 13): the constants against the
 * table of SPEC.md §3, read from SPEC.md itself (so the code and the spec cannot drift apart), and
 * the derivation labels against the list in the same table.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as C from '../bindings/e2e2/constants.js';

const spec = readFileSync(new URL('../SPEC.md', import.meta.url), 'utf8');
/** The value column of the SPEC.md §3 row named `name`, as a number (thousands separators removed). */
function specNumber(name: string): number {
  const row = spec.split('\n').find((line) => line.startsWith(`| ${name} |`));
  if (row === undefined) throw new Error(`SPEC.md has no row "${name}"`);
  return Number(row.split('|')[2]!.trim().replace(/,/g, ''));
}

describe('constants.ts = SPEC.md §3', () => {
  it('sizes and limits', () => {
    const rows: [string, number][] = [
      ['tag', C.TAG_BYTES],
      ['max Noise message', C.MAX_MESSAGE_BYTES],
      ['max context', C.MAX_CONTEXT_BYTES],
      ['key id', C.KEY_ID_BYTES],
      ['API key secret', C.API_KEY_SECRET_BYTES],
      ['message 1', C.MESSAGE1_BYTES],
      ['message 2', C.MESSAGE2_BYTES],
      ['min record', C.MIN_RECORD_BYTES],
      ['max record data', C.MAX_RECORD_DATA_BYTES],
      ['frame header', C.FRAME_HEADER_BYTES],
      ['default rekeyAfterRecords', C.DEFAULT_REKEY_AFTER_RECORDS],
      ['exporter', C.EXPORTER_BYTES],
      ['EAPI root', C.EAPI_ROOT_BYTES],
      ['session id', C.SESSION_ID_BYTES],
      ['fingerprint', C.FINGERPRINT_BYTES],
      ['EAPI secret', C.EAPI_SECRET_BYTES],
      ['EAPI nonce', C.EAPI_NONCE_BYTES],
      ['EAPI signature', C.EAPI_SIGNATURE_BYTES],
    ];
    for (const [name, value] of rows) expect(value, name).toBe(specNumber(name));
    for (const value of [C.DH_BYTES, C.HASH_BYTES, C.CIPHER_KEY_BYTES, C.PSK_BYTES]) expect(value).toBe(specNumber('DHLEN, HASHLEN, key, PSK'));
  });

  it('record types, labels and protocol names', () => {
    expect(spec).toContain(`| record types | DATA \`0x0${C.RECORD_TYPE_DATA}\`, CLOSE \`0x0${C.RECORD_TYPE_CLOSE}\`, REKEY \`0x0${C.RECORD_TYPE_REKEY}\` |`);
    expect(C.RECORD_TYPE_BYTES).toBe(1);
    const labels = [C.LABEL_EXPORTER, C.LABEL_SESSION_ID, C.LABEL_EAPI_ROOT, C.LABEL_EAPI, C.LABEL_EAPI_REQUEST, C.LABEL_FINGERPRINT];
    expect(spec).toContain(`| labels | ${labels.map((l) => `\`${l}\``).join(', ')} |`);
    for (const name of [C.NOISE_PROTOCOL_NAME, C.NOISE_PROTOCOL_NAME_HYBRID, C.E2E2_VERSION, C.E2E2_VERSION_HYBRID, C.API_KEY_PREFIX, C.EAPI_AUTHORIZATION_SCHEME, C.HFS_DH_NAME])
      expect(spec, name).toContain(name);
    expect(C.NOISE_PROTOCOL_NAME).toBe('Noise_NNpsk2_25519_ChaChaPoly_SHA256');
    expect(C.NOISE_PROTOCOL_NAME_HYBRID).toBe(`Noise_NNhfs+psk2_${C.HFS_DH_NAME}_ChaChaPoly_SHA256`);
  });

  it('hybrid message sizes (SPEC.md, the v2-hybrid message layout)', () => {
    expect(spec).toContain(`= ${C.MESSAGE1_HYBRID_BYTES.toLocaleString('en-US')} bytes`);
    expect(spec).toContain(`= ${C.MESSAGE2_HYBRID_BYTES.toLocaleString('en-US')} bytes`);
    expect([C.MESSAGE1_HYBRID_BYTES, C.MESSAGE2_HYBRID_BYTES]).toStrictEqual([1260, 1152]);
  });
});
