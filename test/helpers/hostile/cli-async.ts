/** The built `e2e2` command run without blocking the event loop (the test's proxy and servers keep running meanwhile). */
import { spawn } from 'node:child_process';
import { CLI, ROOT } from '../cli.js';

export interface AsyncCliResult {
  /** Exit code; null when it had to be killed after `timeoutMs`. */
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCliAsync(args: string[], options: { env?: NodeJS.ProcessEnv; input?: (string | Uint8Array)[]; timeoutMs?: number } = {}): Promise<AsyncCliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...options.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => {});
  for (const chunk of options.input ?? []) child.stdin.write(chunk);
  child.stdin.end();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ status: code, stdout, stderr });
    });
  });
}
