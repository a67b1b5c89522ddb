/**
 * Debian's Chromium for the browser suites, driven by playwright-core (never a downloaded browser).
 * Launching is the step a loaded machine breaks: each attempt gets two minutes, and a launch
 * that fails anyway is retried twice before the suite fails (issue 10 item 9: the browser file
 * once failed to collect on a loaded machine).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.E2E2_CHROMIUM ?? '/usr/bin/chromium';
/** Headless, no sandbox (CI runs as root), nothing that talks to the network on its own. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const LAUNCH_TIMEOUT_MS = 120_000;
const LAUNCH_ATTEMPTS = 3;

/** Whether Chromium is here; without it a suite skips with a printed reason, except under CI=true, where it fails. */
export function chromiumAvailable(suite: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
  console.warn(`[${suite}] skipping: ${CHROMIUM} not found (apt-get install -y chromium)`);
  return false;
}

export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= LAUNCH_ATTEMPTS; attempt++) {
    try {
      return await chromium.launch({ executablePath: CHROMIUM, timeout: LAUNCH_TIMEOUT_MS, args: [...CHROMIUM_ARGS, ...extraArgs] });
    } catch (error) {
      lastError = error;
      console.warn(`[browser] Chromium launch attempt ${attempt} of ${LAUNCH_ATTEMPTS} failed: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw lastError;
}
