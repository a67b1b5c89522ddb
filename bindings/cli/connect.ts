/** `e2e2 connect URL`: stdin/stdout over a channel, or a local TCP port tunnelled through channels (--listen). */
import { connect } from '../channel/node.js';
import { listenTunnel, type TunnelListener } from '../channel/tunnel.js';
import { CliError, errorLine, parse, parsePort, readApiKey, usage } from './util.js';

export const CONNECT_HELP = `Usage: e2e2 connect URL [options]

Opens an E2-E2 channel to URL (ws:// or wss://). Without --listen, stdin is sent through the
channel and everything received is written to stdout; at the end of stdin the channel ends and
the command exits once the server has ended too. With --listen, each TCP connection to the local
port gets its own channel (the client end of an "e2e2 serve --forward" tunnel).

The API key is read from $E2E2_API_KEY or --key-file (never from the command line, where other
users could see it in the process list).

Options:
  --listen PORT          tunnel: accept TCP connections on this local port
  --listen-host HOST     interface for --listen (default 127.0.0.1)
  --key-file PATH        file holding the API key token
  --context TEXT         application context (must match the server's; default empty)
  --pq                   post-quantum handshake (E2-E2 v2-hybrid, X25519 + ML-KEM-768); fails rather than falls back
  -v, --verbose          handshake and close details on stderr
  -h, --help             this help
`;

export async function connectCommand(
  args: string[],
  io: { out: (line: string) => void; log: (line: string) => void; stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream },
): Promise<TunnelListener | number | undefined> {
  const { values, positionals } = parse(args, {
    listen: { type: 'string' },
    'listen-host': { type: 'string' },
    'key-file': { type: 'string' },
    context: { type: 'string' },
    pq: { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
  });
  if (values.help) {
    io.out(CONNECT_HELP);
    return undefined;
  }
  if (positionals.length !== 1) throw usage('connect takes exactly one URL');
  const url = positionals[0]!;
  if (!/^wss?:\/\//i.test(url)) throw usage('URL must start with ws:// or wss://');
  const apiKey = readApiKey(values['key-file']);
  const options = { apiKey, ...(values.context === undefined ? {} : { context: values.context }), ...(values.pq ? { postQuantum: true } : {}) };

  if (values.listen !== undefined) {
    const port = parsePort(values.listen, '--listen');
    const tunnel = await listenTunnel(url, { host: values['listen-host'] ?? '127.0.0.1', port }, options, (error) =>
      io.log(`tunnel connection failed: ${errorLine(error)}`),
    );
    io.out(`e2e2 connect: listening on ${values['listen-host'] ?? '127.0.0.1'}:${tunnel.port}, tunnelling to ${url}`);
    return tunnel;
  }

  const channel = await connect(url, { ...options, allowHalfOpen: true });
  if (values.verbose) io.log(`connected: key ${channel.keyId}, session ${channel.sessionId}`);
  channel.on('message', (data) => {
    if (!io.stdout.write(data)) channel.pause();
  });
  io.stdout.on('drain', () => channel.resume());
  io.stdin.on('data', (chunk: Buffer) => {
    if (!channel.writable) return;
    if (!channel.write(chunk)) io.stdin.pause();
  });
  channel.on('drain', () => io.stdin.resume());
  io.stdin.on('end', () => channel.end());
  // stdin failing (a closed pipe, a read error) is a truncated input: never a clean end.
  io.stdin.on('error', (error) => void channel.destroy(error));
  const info = await channel.closed;
  if (values.verbose) io.log(`closed: ${info.code} ${info.reason}`);
  if (info.error) throw new CliError(errorLine(info.error));
  return 0;
}
