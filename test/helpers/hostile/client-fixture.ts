/**
 * A client process whose 'message' listener throws (run: node --import tsx client-fixture.ts URL),
 * API key in $E2E2_API_KEY. No uncaughtException handler on purpose: a crash must stay a crash.
 * Prints "CLOSED {...}" with how the channel ended and what reached the onError option.
 */
import { connect } from '../../../bindings/channel/node.js';

const reported: string[] = [];
// hardening.md: the client option onError receives application errors (default console.error).
const extra: Record<string, unknown> = { onError: (error: { code?: string }) => reported.push(error?.code ?? String(error)) };
const channel = await connect(process.argv[2]!, { apiKey: process.env.E2E2_API_KEY!, ...extra });
channel.on('message', () => {
  throw new Error('client message listener threw on purpose');
});
channel.send('echo me');
const guard = setTimeout(() => {
  process.stdout.write('TIMEOUT\n');
  process.exit(3);
}, 30_000);
const info = await channel.closed;
clearTimeout(guard);
const error = info.error as { code?: string; message?: string; cause?: { message?: string } } | undefined;
process.stdout.write(`CLOSED ${JSON.stringify({ code: info.code, errorCode: error?.code, cause: error?.cause?.message, reported })}\n`);
