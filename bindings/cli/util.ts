/** Shared CLI plumbing: one-line errors, option parsing, the package root, API key input. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_KEY_STORE_PATH } from '../channel/keys.js';

/** A user-facing failure: printed as `e2e2: message` with this exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Usage errors exit with 2, like most Unix tools. */
export function usage(message: string): CliError {
  return new CliError(`${message} (see --help)`, 2);
}

type Options = NonNullable<ParseArgsConfig['options']>;

type HelpOption = { help: { type: 'boolean'; short: 'h' } };
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T & HelpOption; allowPositionals: boolean; strict: true }>>;

/** parseArgs with errors turned into usage errors. */
export function parse<T extends Options>(args: string[], options: T, allowPositionals = true): Parsed<T> {
  try {
    const help: HelpOption = { help: { type: 'boolean', short: 'h' } };
    return parseArgs({ args, options: { ...options, ...help }, allowPositionals, strict: true }) as Parsed<T>;
  } catch (error) {
    throw usage((error as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, ''));
  }
}

export const storeOption = { store: { type: 'string' } } as const;

export function storePath(value: string | undefined): string {
  return value ?? process.env.E2E2_KEY_STORE ?? DEFAULT_KEY_STORE_PATH;
}

export function parsePort(value: string | undefined, name: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw usage(`${name} is required`);
    return fallback;
  }
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw usage(`${name} must be a port number (0-65535)`);
  return port;
}

/** A decimal integer flag in [min, max]. */
export function parseInteger(value: string, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) throw usage(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

export function parseHostPort(value: string, name: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value);
  if (!match) throw usage(`${name} must be HOST:PORT`);
  return { host: match[1] ?? match[2]!, port: parsePort(match[3], name) };
}

/** The API key for `connect`: --key-file, else $E2E2_API_KEY (never a command-line argument: ps would show it). */
export function readApiKey(keyFile: string | undefined): string {
  if (keyFile !== undefined) {
    try {
      return readFileSync(keyFile, 'utf8').trim();
    } catch (error) {
      throw new CliError(`cannot read --key-file ${keyFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  const fromEnv = process.env.E2E2_API_KEY;
  if (fromEnv === undefined || fromEnv.trim() === '') throw usage('no API key: set E2E2_API_KEY or pass --key-file PATH');
  return fromEnv.trim();
}

/** The directory holding this package's package.json (works from dist/cli and from bindings/cli). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        if ((JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === 'e2e2') return dir;
      } catch {
        // keep looking
      }
    }
    const parent = resolve(dir, '..');
    if (parent === dir) throw new CliError('cannot find the e2e2 package directory');
    dir = parent;
  }
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`;
}

/** Errors as one line: the message, plus the stable code for e2e2 errors. */
export function errorLine(error: unknown): string {
  if (error instanceof CliError) return error.message;
  const e = error as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0] : String(error);
  return typeof e?.code === 'string' && e.code.startsWith('ERR_') ? `${message} [${e.code}]` : message!;
}
