/** RFC 6455 §5.2 frames built and parsed by hand, so tests can send frames no WebSocket library would. */
import { randomBytes } from 'node:crypto';

export const OP = { CONTINUATION: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const;

export interface FrameSpec {
  opcode: number;
  payload?: Uint8Array;
  /** FIN bit (default true). */
  fin?: boolean;
  /** RSV1..RSV3 as a 3-bit number (default 0). */
  rsv?: number;
  /** Client frames are masked (RFC 6455 §5.3); default true. */
  masked?: boolean;
  /** Declare this payload length instead of the real one (for lying headers). */
  declaredLength?: number | bigint;
}

/** Encode one frame exactly as specified, lies included. */
export function frame(spec: FrameSpec): Buffer {
  const payload = Buffer.from(spec.payload ?? new Uint8Array(0));
  const masked = spec.masked ?? true;
  const declared = BigInt(spec.declaredLength ?? payload.length);
  const head: number[] = [((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | (spec.opcode & 0x0f)];
  let extended = Buffer.alloc(0);
  if (declared < 126n) head.push(Number(declared));
  else if (declared < 65536n) {
    head.push(126);
    extended = Buffer.alloc(2);
    extended.writeUInt16BE(Number(declared));
  } else {
    head.push(127);
    extended = Buffer.alloc(8);
    extended.writeBigUInt64BE(declared);
  }
  if (masked) head[1]! |= 0x80;
  const key = masked ? randomBytes(4) : Buffer.alloc(0);
  const body = Buffer.from(payload);
  if (masked) for (let i = 0; i < body.length; i++) body[i]! ^= key[i & 3]!;
  return Buffer.concat([Buffer.from(head), extended, key, body]);
}

/** A close frame's payload: 2-byte code then reason bytes. */
export function closePayload(code: number, reason: Uint8Array | string = ''): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(code);
  return Buffer.concat([out, typeof reason === 'string' ? Buffer.from(reason) : Buffer.from(reason)]);
}

export interface ParsedFrame {
  fin: boolean;
  opcode: number;
  /** Unmasked payload. */
  payload: Buffer;
  /** The frame's bytes as they came. */
  raw: Buffer;
}

/** Incremental frame parser: push bytes, take whole frames. */
export class FrameReader {
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): ParsedFrame[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const frames: ParsedFrame[] = [];
    for (;;) {
      const parsed = this.#one();
      if (parsed === undefined) return frames;
      frames.push(parsed);
    }
  }

  #one(): ParsedFrame | undefined {
    const b = this.#buffer;
    if (b.length < 2) return undefined;
    const masked = (b[1]! & 0x80) !== 0;
    let length = b[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return undefined;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return undefined;
      length = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    const keyOffset = offset;
    if (masked) offset += 4;
    if (b.length < offset + length) return undefined;
    const payload = Buffer.from(b.subarray(offset, offset + length));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= b[keyOffset + (i & 3)]!;
    const raw = b.subarray(0, offset + length);
    this.#buffer = b.subarray(offset + length);
    return { fin: (b[0]! & 0x80) !== 0, opcode: b[0]! & 0x0f, payload, raw };
  }
}

/** The code in a close frame's payload (1005 when it carries none). */
export function closeCodeOf(frame: ParsedFrame): number {
  return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
}
