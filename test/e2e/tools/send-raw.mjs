// Sends the bytes read from stdin to a Unix socket, half-closes, and prints as JSON what came
// back (hex) and whether the peer closed the connection within the time limit. Run by the
// end-to-end suites inside their namespace, as an unprivileged user, to throw malformed,
// truncated and oversized messages at ward-unixd the way any local user could.
//   node send-raw.mjs SOCKET [WAIT_MS] < bytes
import net from 'node:net';

const [socketPath, waitText] = process.argv.slice(2);
const waitMs = Number(waitText ?? 5000);
const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const bytes = Buffer.concat(chunks);

const received = [];
let closed = false;
let error = '';
const sock = net.createConnection(socketPath);
const timer = setTimeout(() => finish(), waitMs);
sock.on('connect', () => sock.end(bytes));
sock.on('data', (c) => received.push(c));
sock.on('error', (e) => {
  // The daemon may close while we still write (an oversized message): expected, not a failure.
  if (e.code !== 'EPIPE' && e.code !== 'ECONNRESET') error = `${e.code ?? ''} ${e.message}`;
});
sock.on('close', () => {
  closed = true;
  finish();
});

function finish() {
  clearTimeout(timer);
  sock.destroy();
  process.stdout.write(JSON.stringify({ closed, error, received: Buffer.concat(received).toString('hex') }) + '\n');
  process.exit(0);
}
