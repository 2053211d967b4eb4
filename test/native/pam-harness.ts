/**
 * What the PAM module tests share: a private PAM configuration and syslog for real `pamtester`
 * runs, and a stand-in ward-unixd answering the PAM ops.
 *
 * Each run happens in its own mount namespace (see ../shared/reference/host-testbed.md):
 * a temporary folder is bind-mounted over /etc/pam.d, and /dev gets a throwaway overlay whose
 * /dev/log is a stream socket this process listens on (glibc's syslog() falls back to
 * SOCK_STREAM and ends each message with a NUL), so every pam_syslog() line of the module is
 * captured. Nothing outside the namespace changes. The module is named by absolute path in the
 * service files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { encodeResponse, STATUS, type StatusCode } from '@ward/proto';
import { FakeDaemon, directoryHandler, type Handler, type Reply } from './fake-daemon.js';
import { GROUPS, USERS } from './fixture.js';
import { BUILD_LIB, run, sanitizerEnv, tempDir, type RunResult } from './helpers.js';

export const PAM_MODULE = join(BUILD_LIB, 'security/pam_ward.so');

/** What a user sees from pamtester (prompts, PAM_ERROR_MSG lines, pam_strerror texts). */
export const SAYS = {
  authenticated: 'successfully authenticated',
  accountOk: 'account management done',
  sessionOpened: 'successfully opened a session',
  passwordChanged: 'authentication token altered',
  authErr: 'Authentication failure',
  unknown: 'User not known to the underlying authentication module',
  unavail: 'Authentication service cannot retrieve authentication info',
  permDenied: 'Permission denied',
  systemErr: 'System error',
  sessionErr: 'Cannot make/remove an entry for the specified session',
  authtokErr: 'Authentication token manipulation error',
} as const;

/** Collects syslog messages written to a stream socket (one connection per process). */
export class SyslogSink {
  readonly lines: string[] = [];
  private open = 0;
  private idle: Array<() => void> = [];

  private constructor(readonly path: string, private readonly server: net.Server) {}

  static async start(path: string): Promise<SyslogSink> {
    const server = net.createServer();
    const sink = new SyslogSink(path, server);
    server.on('connection', (sock) => sink.take(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    return sink;
  }

  private take(sock: net.Socket): void {
    this.open++;
    let pending = '';
    sock.on('data', (chunk) => {
      const parts = (pending + chunk.toString('utf8')).split('\0');
      pending = parts.pop() ?? '';
      this.lines.push(...parts.filter((p) => p.length > 0));
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => {
      if (pending) this.lines.push(pending);
      if (--this.open === 0) for (const f of this.idle.splice(0)) f();
    });
  }

  /** Resolves once every writer has hung up, so all its lines are in. */
  settled(): Promise<void> {
    return this.open === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }

  /** Lines of this module only (libpam's own lines say "PAM ..."). */
  moduleLines(): string[] {
    return this.lines.filter((l) => l.includes('pam_ward('));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// $1 pam.d folder, $2 syslog socket, $3 scratch folder for the /dev overlay; then the command.
const NAMESPACE_SCRIPT = [
  'set -e',
  'mount --bind "$1" /etc/pam.d',
  'mkdir -p "$3"',
  'mount -t tmpfs tmpfs "$3"',
  'mkdir "$3/upper" "$3/work"',
  'mount -t overlay overlay -o "lowerdir=/dev,upperdir=$3/upper,workdir=$3/work" /dev',
  ': > /dev/log',
  'mount --bind "$2" /dev/log',
  'shift 3',
  'exec "$@"',
].join('\n');

/** A private /etc/pam.d, syslog and runner for pamtester. */
export class PamBed {
  readonly pamd: string;
  private runs = 0;

  constructor(private readonly dir: string, readonly sink: SyslogSink) {
    this.pamd = join(dir, 'pam.d');
    mkdirSync(this.pamd, { recursive: true });
    // Every run names its service; `other` only silences libpam's "no default config".
    writeFileSync(join(this.pamd, 'other'), ['auth', 'account', 'password', 'session']
      .map((t) => `${t} required pam_deny.so`).join('\n') + '\n');
  }

  /** Writes /etc/pam.d/<name>; `WARD` in a line stands for the module's absolute path. */
  service(name: string, lines: string[]): string {
    writeFileSync(join(this.pamd, name), lines.map((l) => l.replaceAll('WARD', PAM_MODULE)).join('\n') + '\n');
    return name;
  }

  /** Runs `pamtester SERVICE USER OPS...` with input on stdin; waits for its syslog lines. */
  pamtester(
    service: string,
    user: string,
    ops: string[],
    opts: { input?: string; socket: string; limitMs?: number },
  ): Promise<RunResult & { said: string }> {
    return this.exec(['pamtester', service, user, ...ops], opts);
  }

  /** Runs any command in the private namespace (a PAM application), as pamtester() does. */
  async exec(
    cmd: string[],
    opts: { input?: string; socket: string; limitMs?: number },
  ): Promise<RunResult & { said: string }> {
    const scratch = join(this.dir, `dev-${++this.runs}`);
    const r = await run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', NAMESPACE_SCRIPT, 'sh',
      this.pamd, this.sink.path, scratch, ...cmd], {
      env: { PATH: process.env.PATH, LANG: 'C', ...sanitizerEnv(), WARD_UNIXD_PRIV_SOCKET: opts.socket },
      input: opts.input ?? '',
      limitMs: opts.limitMs,
    });
    await this.sink.settled();
    return { ...r, said: r.stdout + r.stderr };
  }
}

/** A bed, its syslog sink and a stand-in daemon in a fresh temporary folder. */
export async function startPamBed(prefix: string, handler: Handler): Promise<{
  bed: PamBed; daemon: FakeDaemon; sink: SyslogSink; dir: string; close: () => Promise<void>;
}> {
  const scratch = tempDir(prefix);
  const sink = await SyslogSink.start(join(scratch.dir, 'log.sock'));
  const daemon = await FakeDaemon.start(join(scratch.dir, 'priv.sock'), handler);
  return {
    bed: new PamBed(scratch.dir, sink), daemon, sink, dir: scratch.dir,
    close: async () => {
      await daemon.close();
      await sink.close();
      scratch.cleanup();
    },
  };
}

// ---- The stand-in daemon's PAM side ------------------------------------------------------

export const ALICE_PW = 'Tr0ub4dor&3-correct-horse';
export const ALICE_NEW_PW = 'battery-staple-2024-new';
/** bob authenticates but may not log in on this host. */
export const BOB_PW = 'bob-secret-passphrase-9';
export const BOB_REFUSAL = 'bob is not a member of a group allowed to log in on this host';
export const CHANGE_REFUSAL = 'change your password with the IdP; it cannot be changed on this host';

const answer = (op: string, status: StatusCode, message: string): Reply =>
  ({ kind: 'frame', payload: encodeResponse(op, status, status === STATUS.OK ? { message } : message) });

/**
 * Answers the PAM ops like ward-unixd for alice (allowed) and bob (not allowed); other names
 * are NOT_FOUND; every other op goes to the lookup directory of the NSS tests. Password
 * changes are refused unless `allowChange` (then alice's old password must match).
 */
export function pamHandler(opts: { allowChange?: boolean } = {}): Handler {
  const lookups = directoryHandler(USERS, GROUPS);
  const passwords: Record<string, string> = { alice: ALICE_PW, bob: BOB_PW };
  return (req) => {
    const { op, msg } = req;
    const name = String(msg.name ?? '');
    const known = name in passwords;
    switch (op) {
      case 'PAM_AUTH':
        if (!known) return answer(op, STATUS.NOT_FOUND, `unknown user ${name}`);
        return msg.password === passwords[name]
          ? answer(op, STATUS.OK, 'authenticated by the IdP')
          : answer(op, STATUS.AUTH_FAILED, 'authentication failed');
      case 'PAM_ACCOUNT':
        if (!known) return answer(op, STATUS.NOT_FOUND, `unknown user ${name}`);
        return name === 'bob' ? answer(op, STATUS.DENIED, BOB_REFUSAL) : answer(op, STATUS.OK, '');
      case 'PAM_SESSION':
        return known ? answer(op, STATUS.OK, '') : answer(op, STATUS.NOT_FOUND, `unknown user ${name}`);
      case 'PAM_CHAUTHTOK':
        if (!known) return answer(op, STATUS.NOT_FOUND, `unknown user ${name}`);
        if (!opts.allowChange) return answer(op, STATUS.DENIED, CHANGE_REFUSAL);
        return msg.old_password === passwords[name]
          ? answer(op, STATUS.OK, 'password changed')
          : answer(op, STATUS.AUTH_FAILED, 'the current password is wrong');
      default:
        return lookups(req);
    }
  };
}

/** Every password the tests type, to prove none reaches a log. */
export const ALL_PASSWORDS = [ALICE_PW, ALICE_NEW_PW, BOB_PW, 'wrong-password-123'];
