/**
 * Tests that kill mutants of bindings/e2e2/structured-fields.ts (issue 13): RFC 8941 serialization
 * of each bare item type, parameters and inner lists, and the strict §4.2 parser on valid input
 * (RFC 8941 examples) and on each kind of malformed input, with the offset the error names.
 */
import { describe, expect, it } from 'vitest';
import {
  parseDictionary,
  serializeBareItem,
  serializeDictionary,
  serializeMember,
  serializeParams,
  serializeString,
  SfBytes,
  SfToken,
  type SfBareItem,
  type SfMember,
} from '../bindings/e2e2/structured-fields.js';
import { expectCode } from './oracle/harness.js';

const item = (value: SfBareItem): SfMember => ({ kind: 'item', value, params: [] });
const malformed = (input: string, message: string) => expectCode(() => parseDictionary(input), 'ERR_MALFORMED_MESSAGE', message);

describe('serialization (RFC 8941 §4.1)', () => {
  it('strings escape " and \\ only, and refuse anything but printable ASCII', () => {
    expect(serializeString('')).toBe('""');
    expect(serializeString('a "q" \\ b ~')).toBe('"a \\"q\\" \\\\ b ~"');
    for (const bad of ['\x1f', '\x7f', 'é', '\t']) expectCode(() => serializeString(bad), 'ERR_INVALID_ARGUMENT', 'structured field strings must be printable ASCII');
  });

  it('bare items: booleans, integers at the 15-digit limit, byte sequences, tokens', () => {
    expect(serializeBareItem(true)).toBe('?1');
    expect(serializeBareItem(false)).toBe('?0');
    expect(serializeBareItem(0)).toBe('0');
    expect(serializeBareItem(-999_999_999_999_999)).toBe('-999999999999999');
    expect(serializeBareItem(999_999_999_999_999)).toBe('999999999999999');
    for (const bad of [1_000_000_000_000_000, -1_000_000_000_000_000, 1.5]) {
      expectCode(() => serializeBareItem(bad), 'ERR_INVALID_ARGUMENT', 'structured field integers must be integers of at most 15 digits');
    }
    expect(serializeBareItem(new SfBytes(Uint8Array.of(0xfb, 0xff, 0xfe)))).toBe(':+//+:');
    expect(serializeBareItem(new SfBytes(new Uint8Array(0)))).toBe('::');
    expect(serializeBareItem(new SfToken('*a:b/c!'))).toBe('*a:b/c!');
    for (const bad of ['', '1a', 'a b', 'a"']) expectCode(() => serializeBareItem(new SfToken(bad)), 'ERR_INVALID_ARGUMENT', 'invalid structured field token');
    expectCode(() => serializeBareItem({} as never), 'ERR_INVALID_ARGUMENT', 'unsupported structured field item');
  });

  it('parameters, members and dictionaries, with true values written as bare keys', () => {
    expect(serializeParams([])).toBe('');
    expect(serializeParams([['a', true], ['b', false], ['c', 1], ['*d', 'x']])).toBe(';a;b=?0;c=1;*d="x"');
    expectCode(() => serializeParams([['A', 1]]), 'ERR_INVALID_ARGUMENT', 'invalid structured field key: A');
    expectCode(() => serializeParams([['1a', 1]]), 'ERR_INVALID_ARGUMENT', 'invalid structured field key: 1a');
    expect(serializeMember({ kind: 'list', items: [{ value: new SfToken('a'), params: [['p', 1]] }, { value: 'b', params: [] }], params: [['q', true]] })).toBe('(a;p=1 "b");q');
    expect(serializeMember({ kind: 'list', items: [], params: [] })).toBe('()');
    expect(serializeDictionary([['a', item(true)], ['b', item(false)], ['c', { kind: 'item', value: true, params: [['x', 2]] }]])).toBe('a, b=?0, c;x=2');
    expect(serializeDictionary([])).toBe('');
  });
});

describe('parsing dictionaries (RFC 8941 §4.2)', () => {
  it('RFC 8941 §3.2 examples and every bare item type round-trip', () => {
    const d = parseDictionary('en="Applepie", da=:w4ZibGV0w6ZydGU=:');
    expect(d.get('en')).toStrictEqual({ kind: 'item', value: 'Applepie', params: [] });
    expect(new TextDecoder().decode((d.get('da') as { value: SfBytes }).value.bytes)).toBe('Æbletærte');
    const e = parseDictionary('a=?0, b, c; foo=bar');
    expect(e.get('a')).toStrictEqual({ kind: 'item', value: false, params: [] });
    expect(e.get('b')).toStrictEqual({ kind: 'item', value: true, params: [] });
    expect(e.get('c')).toStrictEqual({ kind: 'item', value: true, params: [['foo', new SfToken('bar')]] });
    const f = parseDictionary('rating=(1 -2 "x\\"y" tok*:/ ?1);q=9, sig=:AAE=:;k');
    expect(f.get('rating')).toStrictEqual({
      kind: 'list',
      items: [
        { value: 1, params: [] },
        { value: -2, params: [] },
        { value: 'x"y', params: [] },
        { value: new SfToken('tok*:/'), params: [] },
        { value: true, params: [] },
      ],
      params: [['q', 9]],
    });
    expect([...(f.get('sig') as { value: SfBytes }).value.bytes]).toStrictEqual([0, 1]);
    expect((f.get('sig') as { params: unknown }).params).toStrictEqual([['k', true]]);
    const text = 'sig1=("@method" "@path");created=1;keyid="a.b";alg="hmac-sha256", sig2=:AA==:';
    const g = parseDictionary(text);
    expect(serializeDictionary([...g])).toBe(text);
  });

  it('whitespace: leading and trailing spaces, OWS around commas, spaces in inner lists and after ;', () => {
    const d = parseDictionary('  a=1 ,\tb=( 1  2 ) , c=3;  p=4  ');
    expect([...d.keys()]).toStrictEqual(['a', 'b', 'c']);
    expect(d.get('b')).toStrictEqual({ kind: 'list', items: [{ value: 1, params: [] }, { value: 2, params: [] }], params: [] });
    expect(d.get('c')).toStrictEqual({ kind: 'item', value: 3, params: [['p', 4]] });
    expect(parseDictionary('').size).toBe(0);
    expect(parseDictionary('   ').size).toBe(0);
  });

  it('a repeated key keeps the last value, in the position of the last occurrence; a repeated parameter keeps its first position', () => {
    const d = parseDictionary('a=1, b=2, a=3');
    expect([...d.entries()].map(([k, m]) => [k, (m as { value: number }).value])).toStrictEqual([
      ['b', 2],
      ['a', 3],
    ]);
    expect(parseDictionary('x=1;p=1;q=2;p=3').get('x')).toStrictEqual({ kind: 'item', value: 1, params: [['p', 3], ['q', 2]] });
  });

  it('each malformed input fails typed, naming what and where', () => {
    malformed('A=1', 'structured field: expected a key at offset 0');
    malformed('a=1, =2', 'structured field: expected a key at offset 5');
    malformed('a=1 b=2', 'structured field: expected a comma at offset 4');
    malformed('a=1,', 'structured field: trailing comma at offset 4');
    malformed('a=1, ', 'structured field: trailing comma at offset 4'); // trailing spaces are trimmed first
    malformed('a="x', 'structured field: unterminated string at offset 5'); // one past the end
    malformed('a="\\x"', 'structured field: invalid escape at offset 5');
    malformed('a="\u00e9"', 'structured field: invalid string character at offset 4');
    malformed('a="\x1f"', 'structured field: invalid string character at offset 4');
    malformed('a=:AAE=', 'structured field: unterminated byte sequence at offset 3');
    malformed('a=:AAE:', 'structured field: invalid base64 in byte sequence at offset 3');
    malformed('a=:A-E=:', 'structured field: invalid base64 in byte sequence at offset 3');
    malformed('a=?2', 'structured field: invalid boolean at offset 4');
    malformed('a=-x', 'structured field: invalid integer at offset 2');
    malformed('a=1.5', 'structured field: decimals are not supported at offset 3');
    malformed('a=1234567890123456', 'structured field: integer has more than 15 digits at offset 17');
    malformed('a=@', 'structured field: expected an item at offset 2');
    malformed('a=', 'structured field: expected an item at offset 2');
    malformed('a=(1,2)', 'structured field: expected a space or ) in inner list at offset 4');
    malformed('a=(1', 'structured field: expected a space or ) in inner list at offset 4');
    malformed('a=1;', 'structured field: expected a key at offset 4');
    expectCode(() => parseDictionary(7 as never), 'ERR_MALFORMED_MESSAGE', 'structured field must be a string');
  });

  it('items at the edges of each type', () => {
    expect(parseDictionary('a=-999999999999999').get('a')).toStrictEqual({ kind: 'item', value: -999_999_999_999_999, params: [] });
    expect(parseDictionary('a=0').get('a')).toStrictEqual({ kind: 'item', value: 0, params: [] });
    expect(parseDictionary('a=9').get('a')).toStrictEqual({ kind: 'item', value: 9, params: [] });
    expect(parseDictionary('a=""').get('a')).toStrictEqual({ kind: 'item', value: '', params: [] });
    expect(parseDictionary('a=" ~"').get('a')).toStrictEqual({ kind: 'item', value: ' ~', params: [] });
    expect(parseDictionary('a="\\\\"').get('a')).toStrictEqual({ kind: 'item', value: '\\', params: [] });
    expect((parseDictionary('a=::').get('a') as { value: SfBytes }).value.bytes.length).toBe(0);
    expect(parseDictionary('a=*').get('a')).toStrictEqual({ kind: 'item', value: new SfToken('*'), params: [] });
    expect(parseDictionary('a=Z').get('a')).toStrictEqual({ kind: 'item', value: new SfToken('Z'), params: [] });
    expect(parseDictionary('a=?1;b=?0').get('a')).toStrictEqual({ kind: 'item', value: true, params: [['b', false]] });
    expect(parseDictionary('*k.-_9=1').get('*k.-_9')).toStrictEqual({ kind: 'item', value: 1, params: [] });
    expect(parseDictionary('a=()').get('a')).toStrictEqual({ kind: 'list', items: [], params: [] });
  });
});
