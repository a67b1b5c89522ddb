/**
 * The parts of RFC 8941 (Structured Field Values for HTTP) that the RFC 9421 EAPI profile needs:
 * serializing and parsing Dictionaries whose members are Items or Inner Lists with parameters,
 * and the bare items String, Integer, Token, Byte Sequence and Boolean. Decimals are not
 * supported (no EAPI field uses them); a field containing one fails to parse.
 */
import { InvalidArgumentError, MalformedMessageError } from '../errors.js';

/** A byte sequence bare item (`:base64:`), kept apart from strings. */
export class SfBytes {
  constructor(readonly bytes: Uint8Array) {}
}

/** A token bare item, kept apart from strings. */
export class SfToken {
  constructor(readonly value: string) {}
}

/** An RFC 8941 §3.3 bare item (Decimals are not supported). */
export type SfBareItem = string | number | boolean | SfBytes | SfToken;
/** RFC 8941 §3.1.2 parameters, in order. */
export type SfParams = Array<[string, SfBareItem]>;
export interface SfItem {
  kind: 'item';
  value: SfBareItem;
  params: SfParams;
}
/** An RFC 8941 §3.1.1 Inner List with its parameters. */
export interface SfInnerList {
  kind: 'list';
  items: Array<{ value: SfBareItem; params: SfParams }>;
  params: SfParams;
}
export type SfMember = SfItem | SfInnerList;

const KEY_PATTERN = /^[a-z*][a-z0-9_\-.*]*$/;
const TOKEN_PATTERN = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*$/;
const MAX_INTEGER = 999_999_999_999_999;

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  try {
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/** RFC 8941 §4.1.6: "..." with `"` and `\` escaped; only printable ASCII. */
export function serializeString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new InvalidArgumentError('structured field strings must be printable ASCII');
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function serializeBareItem(value: SfBareItem): string {
  if (typeof value === 'string') return serializeString(value);
  if (typeof value === 'boolean') return value ? '?1' : '?0';
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || Math.abs(value) > MAX_INTEGER) throw new InvalidArgumentError('structured field integers must be integers of at most 15 digits');
    return String(value);
  }
  if (value instanceof SfBytes) return `:${base64(value.bytes)}:`;
  if (value instanceof SfToken) {
    if (!TOKEN_PATTERN.test(value.value)) throw new InvalidArgumentError('invalid structured field token');
    return value.value;
  }
  throw new InvalidArgumentError('unsupported structured field item');
}

function serializeKey(key: string): string {
  if (!KEY_PATTERN.test(key)) throw new InvalidArgumentError(`invalid structured field key: ${key}`);
  return key;
}

/** RFC 8941 §4.1.1.2: `;key=value` for each parameter, `;key` alone for true. */
export function serializeParams(params: SfParams): string {
  return params.map(([key, value]) => (value === true ? `;${serializeKey(key)}` : `;${serializeKey(key)}=${serializeBareItem(value)}`)).join('');
}

export function serializeMember(member: SfMember): string {
  if (member.kind === 'item') return serializeBareItem(member.value) + serializeParams(member.params);
  return `(${member.items.map((i) => serializeBareItem(i.value) + serializeParams(i.params)).join(' ')})${serializeParams(member.params)}`;
}

/** RFC 8941 §4.1.2: `key=member, key=member`. */
export function serializeDictionary(members: Array<[string, SfMember]>): string {
  return members
    .map(([key, member]) =>
      member.kind === 'item' && member.value === true ? serializeKey(key) + serializeParams(member.params) : `${serializeKey(key)}=${serializeMember(member)}`,
    )
    .join(', ');
}

/** A strict RFC 8941 §4.2 parser over one field value. */
class Parser {
  #i = 0;
  constructor(readonly input: string) {}

  fail(what: string): never {
    throw new MalformedMessageError(`structured field: ${what} at offset ${this.#i}`);
  }
  peek(): string | undefined {
    return this.input[this.#i];
  }
  done(): boolean {
    return this.#i >= this.input.length;
  }
  skipSp(): void {
    while (this.peek() === ' ') this.#i++;
  }
  skipOws(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.#i++;
  }

  key(): string {
    const m = /^[a-z*][a-z0-9_\-.*]*/.exec(this.input.slice(this.#i));
    if (!m) this.fail('expected a key');
    this.#i += m[0].length;
    return m[0];
  }

  bareItem(): SfBareItem {
    const c = this.peek();
    if (c === '"') return this.string();
    if (c === ':') return this.bytes();
    if (c === '?') return this.boolean();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.integer();
    if (c !== undefined && (c === '*' || /[A-Za-z]/.test(c))) return this.token();
    return this.fail('expected an item');
  }

  string(): string {
    this.#i++;
    let out = '';
    for (;;) {
      const c = this.input[this.#i++];
      if (c === undefined) this.fail('unterminated string');
      if (c === '\\') {
        const n = this.input[this.#i++];
        if (n !== '"' && n !== '\\') this.fail('invalid escape');
        out += n;
      } else if (c === '"') return out;
      else if (c < '\x20' || c > '\x7e') this.fail('invalid string character');
      else out += c;
    }
  }

  bytes(): SfBytes {
    this.#i++;
    const end = this.input.indexOf(':', this.#i);
    if (end < 0) this.fail('unterminated byte sequence');
    const decoded = fromBase64(this.input.slice(this.#i, end));
    if (decoded === undefined) this.fail('invalid base64 in byte sequence');
    this.#i = end + 1;
    return new SfBytes(decoded);
  }

  boolean(): boolean {
    this.#i++;
    const c = this.input[this.#i++];
    if (c === '1') return true;
    if (c === '0') return false;
    return this.fail('invalid boolean');
  }

  integer(): number {
    const m = /^-?[0-9]{1,15}/.exec(this.input.slice(this.#i));
    if (!m) this.fail('invalid integer');
    this.#i += m[0].length;
    if (this.peek() === '.') this.fail('decimals are not supported');
    if (/^[0-9]$/.test(this.peek() ?? '')) this.fail('integer has more than 15 digits');
    return Number(m[0]);
  }

  token(): SfToken {
    const m = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*/.exec(this.input.slice(this.#i));
    if (!m) this.fail('invalid token');
    this.#i += m[0].length;
    return new SfToken(m[0]);
  }

  params(): SfParams {
    const out: SfParams = [];
    while (this.peek() === ';') {
      this.#i++;
      this.skipSp();
      const key = this.key();
      let value: SfBareItem = true;
      if (this.peek() === '=') {
        this.#i++;
        value = this.bareItem();
      }
      const existing = out.findIndex(([k]) => k === key);
      if (existing >= 0) out[existing] = [key, value];
      else out.push([key, value]);
    }
    return out;
  }

  member(): SfMember {
    if (this.peek() === '(') {
      this.#i++;
      const items: SfInnerList['items'] = [];
      for (;;) {
        this.skipSp();
        if (this.peek() === ')') {
          this.#i++;
          return { kind: 'list', items, params: this.params() };
        }
        const value = this.bareItem();
        items.push({ value, params: this.params() });
        const c = this.peek();
        if (c !== ' ' && c !== ')') this.fail('expected a space or ) in inner list');
      }
    }
    const value = this.bareItem();
    return { kind: 'item', value, params: this.params() };
  }

  dictionary(): Map<string, SfMember> {
    const out = new Map<string, SfMember>();
    this.skipSp();
    while (!this.done()) {
      const key = this.key();
      let member: SfMember;
      if (this.peek() === '=') {
        this.#i++;
        member = this.member();
      } else member = { kind: 'item', value: true, params: this.params() };
      out.delete(key);
      out.set(key, member);
      this.skipOws();
      if (this.done()) break;
      if (this.peek() !== ',') this.fail('expected a comma');
      this.#i++;
      this.skipOws();
      if (this.done()) this.fail('trailing comma');
    }
    return out;
  }
}

/** Parse an RFC 8941 Dictionary field value (§4.2). Throws ERR_MALFORMED_MESSAGE on any error. */
export function parseDictionary(value: string): Map<string, SfMember> {
  if (typeof value !== 'string') throw new MalformedMessageError('structured field must be a string');
  const parser = new Parser(value.replace(/^ +| +$/g, ''));
  return parser.dictionary();
}
