/**
 * Parse the byte listings of RFC test vectors as they are printed in the RFC text, so vectors can be
 * pasted verbatim (fewer transcription errors than retyping hex).
 *
 * Two layouts occur in RFC 8439:
 * - offset dumps: `  016  65 6d 65 6e 20 ...  emen of the clas` (offset, hex bytes, then an ASCII column
 *   after two spaces), parsed by `dump`;
 * - plain byte runs: `22:4f:51:...` or `FF FF FF ...` (colons or spaces, any case), parsed by `bytes`.
 */
import { unhex } from './vectors.js';

/** Bytes of an offset dump: per line, the hex pairs between the 3-digit offset and the ASCII column. */
export function dump(text: string): Uint8Array {
  let out = '';
  for (const line of text.split('\n')) {
    const match = /^\s*(\d{3})  (.*)$/.exec(line);
    if (!match) {
      if (line.trim() !== '') throw new Error(`not an RFC dump line: ${line}`);
      continue;
    }
    const hexColumn = match[2]!.split('  ')[0]!;
    if (!/^[0-9a-f]{2}( [0-9a-f]{2})*$/.test(hexColumn)) throw new Error(`bad hex column: ${hexColumn}`);
    if (Number(match[1]) * 2 !== out.length) throw new Error(`offset ${match[1]} does not follow the bytes before it`);
    out += hexColumn.replaceAll(' ', '');
  }
  return unhex(out);
}

/** Bytes of a plain run such as `a8:06:1d:c1` or `FF FF FF` (separators: colons, spaces, newlines). */
export function bytes(text: string): Uint8Array {
  const tokens = text.trim().split(/[\s:]+/).filter((t) => t !== '');
  for (const token of tokens) if (!/^[0-9a-fA-F]{2}$/.test(token)) throw new Error(`bad byte: ${token}`);
  return unhex(tokens.join(''));
}
