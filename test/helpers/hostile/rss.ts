/** A process's resident set size from /proc/<pid>/status (Linux), sampled while an attack runs. */
import { readFileSync } from 'node:fs';

/** VmRSS in bytes, or undefined once the process is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Sample every `everyMs` until stop(); returns the largest value seen. */
export function sampleRss(pid: number, everyMs = 100): { stop(): number } {
  let max = rssBytes(pid) ?? 0;
  const timer = setInterval(() => (max = Math.max(max, rssBytes(pid) ?? 0)), everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(max, rssBytes(pid) ?? 0);
    },
  };
}
