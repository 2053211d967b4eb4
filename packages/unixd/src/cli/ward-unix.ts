/**
 * `ward-unix`: the administrator's window into ward-unixd, over its sockets (it never talks to
 * the IdP itself). `status` uses the public socket, so any user may run it; `cache-clear`,
 * `cache-invalidate` and `auth-test` use the privileged socket, so only root (or the daemon's
 * user) may.
 *
 * Exit codes (those of `ward` where they mean the same): 0 done, 1 the daemon is not running or
 * failed, 2 usage or configuration error, 3 auth-test refused (wrong password, unknown user,
 * account not allowed), 5 not allowed (the privileged socket needs root), 130 interrupted.
 */
import { Command, Option } from 'commander';
import { STATUS, WardError, statusName, type DecodedResponse, type Msg, type StatusName } from '@ward/proto';
import { callSocket, Interrupted, readSecret } from '@ward/proto/node';
import { DEFAULT_CONFIG_PATH, type UnixdConfig } from '../config/keys.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { parseName } from '../resolver/resolver.js';

export const EXIT = { ok: 0, failure: 1, usage: 2, auth: 3, forbidden: 5, interrupted: 130 } as const;
const NEVER = 0xffffffff;
/** The daemon answers every op within its own deadline; this only guards against a wedged one. */
const CALL_TIMEOUT_MS = 10_000;

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

class CliError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly exit: number,
  ) {
    super(message);
  }
}

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f]/g;
const safe = (s: string) => s.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** One request; transport failures become CliErrors, any answer is returned as it is. */
async function ask(socket: string, op: string, msg: Msg = {}): Promise<DecodedResponse> {
  try {
    return await callSocket(socket, op, msg, { timeoutMs: CALL_TIMEOUT_MS });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new CliError(`permission denied on ${socket}: this command needs root`, 'forbidden', EXIT.forbidden);
    }
    if (code === 'ENOENT' || code === 'ECONNREFUSED') {
      throw new CliError(`ward-unixd is not running (nothing listens on ${socket})`, 'unavailable', EXIT.failure);
    }
    throw new CliError(`cannot talk to ward-unixd on ${socket}: ${(e as Error).message}`, 'unavailable', EXIT.failure);
  }
}

/** One request that must succeed. */
async function call(socket: string, op: string, msg: Msg = {}): Promise<Msg> {
  const res = await ask(socket, op, msg);
  if (res.status === STATUS.FORBIDDEN) throw new CliError(res.message, 'forbidden', EXIT.forbidden);
  if (res.status !== STATUS.OK) throw new CliError(res.message || `status ${res.status}`, 'internal', EXIT.failure);
  return res.msg;
}

function formatAge(seconds: number): string {
  if (seconds === NEVER) return 'never';
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('ward-unix')
    .description('Inspect and control ward-unixd, the host daemon resolving IdP users')
    .option('-c, --config <file>', 'configuration file of ward-unixd', DEFAULT_CONFIG_PATH)
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showHelpAfterError();

  const json = () => program.opts<{ output: string }>().output === 'json';
  const config = (): UnixdConfig => loadConfig(program.opts<{ config: string }>().config);
  const run = <A extends unknown[]>(fn: (...args: A) => Promise<void>) => async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      const err = e instanceof CliError ? e
        : e instanceof ConfigError ? new CliError(e.message, 'bad_request', EXIT.usage)
        : e instanceof Interrupted ? new CliError('interrupted', 'bad_request', EXIT.interrupted)
        : e instanceof WardError ? new CliError(e.message, e.code, EXIT.usage)
        : new CliError((e as Error).message, 'internal', EXIT.failure);
      io.err(`ward-unix: ${err.message}\n`);
      if (json()) io.out(JSON.stringify({ ok: false, error: err.code, message: err.message, exit_code: err.exit }, null, 2) + '\n');
      setExit(err.exit);
    }
  };

  program
    .command('status')
    .description('online or offline, the IdP, cache size and age (any user)')
    .action(run(async () => {
      const s = await call(config().socket, 'STATUS');
      const age = s['last_refresh_age'] as number;
      const changed = s['last_change_age'] as number;
      if (json()) {
        io.out(JSON.stringify({
          online: s['online'] === 1,
          idp_url: s['idp_url'],
          users: s['users'],
          groups: s['groups'],
          last_refresh_age_seconds: age === NEVER ? null : age,
          sync: s['sync_state'],
          last_change_age_seconds: changed === NEVER ? null : changed,
        }, null, 2) + '\n');
        return;
      }
      io.out(
        `IdP:           ${safe(s['idp_url'] as string)}\n` +
        `State:         ${s['online'] === 1 ? 'online' : 'offline (serving from the cache)'}\n` +
        `Sync:          ${safe(s['sync_state'] as string)}\n` +
        `Cached users:  ${s['users']}\n` +
        `Cached groups: ${s['groups']}\n` +
        `Known current: ${formatAge(age)}\n` +
        `Last change:   ${formatAge(changed)}\n`,
      );
    }));

  program
    .command('cache-clear')
    .description('forget every cached entry and offline password, then refresh (root)')
    .action(run(async () => {
      await call(config().priv_socket, 'CACHE_CLEAR');
      io.out(json() ? JSON.stringify({ ok: true, changed: true }, null, 2) + '\n' : 'cache cleared; listing the directory again\n');
    }));

  program
    .command('cache-invalidate')
    .description('mark every cached entry stale and refresh; lookups keep answering meanwhile (root)')
    .action(run(async () => {
      await call(config().priv_socket, 'CACHE_INVALIDATE');
      io.out(json() ? JSON.stringify({ ok: true, changed: true }, null, 2) + '\n' : 'cache invalidated; listing the directory again\n');
    }));

  program
    .command('auth-test')
    .description('check a password and the account through ward-unixd exactly as PAM does: auth, then account (root)')
    .requiredOption('--name <name>', 'the user, as name or name@domain')
    .addHelpText('after', '\nThe password is read from a prompt without echo on a terminal, else from the first line of standard input.')
    .action(run(async (opts: { name: string }) => {
      const outcome = await authTest(config().priv_socket, opts.name);
      if (json()) {
        io.out(JSON.stringify({ ok: outcome.exit === EXIT.ok, name: opts.name, auth: outcome.auth, account: outcome.account }, null, 2) + '\n');
      } else {
        io.out(`auth:     ${describe(outcome.auth)}\n`);
        io.out(`account:  ${outcome.account ? describe(outcome.account) : 'not checked (PAM stops after a failed auth)'}\n`);
        io.out(`result:   ${safe(opts.name)} ${outcome.exit === EXIT.ok ? 'may' : 'may not'} log in on this host\n`);
      }
      setExit(outcome.exit);
    }));

  return program;
}

interface Step {
  status: StatusName;
  message: string;
}

interface AuthTestOutcome {
  auth: Step;
  account: Step | null;
  exit: number;
}

function step(res: DecodedResponse): Step {
  const status = statusName(res.status) ?? 'ERROR';
  if (status === 'FORBIDDEN') throw new CliError(res.message, 'forbidden', EXIT.forbidden);
  return { status, message: status === 'OK' ? String(res.msg['message'] ?? '') : res.message };
}

function describe(s: Step): string {
  return s.message ? `${s.status} - ${safe(s.message)}` : s.status;
}

/** A refusal of the user (exit 3), or the daemon unable to decide (exit 1). */
function exitFor(s: Step): number {
  if (s.status === 'OK') return EXIT.ok;
  return s.status === 'AUTH_FAILED' || s.status === 'DENIED' || s.status === 'NOT_FOUND' ? EXIT.auth : EXIT.failure;
}

/**
 * PAM_AUTH then, only if it succeeded, PAM_ACCOUNT, as sshd's PAM stack runs them. The socket is
 * tried (STATUS) before the password is asked for, so a user who cannot reach it is not made to
 * type a password for nothing. The password goes to the daemon and nowhere else.
 */
async function authTest(priv: string, name: string): Promise<AuthTestOutcome> {
  if (!parseName(name)) {
    throw new CliError(`"${safe(name.slice(0, 100))}" is not a user name (name or name@domain)`, 'bad_request', EXIT.usage);
  }
  await call(priv, 'STATUS');
  const password = await readSecret({ what: `password for ${name}` });
  const auth = step(await ask(priv, 'PAM_AUTH', { name, password }));
  if (auth.status !== 'OK') return { auth, account: null, exit: exitFor(auth) };
  const account = step(await ask(priv, 'PAM_ACCOUNT', { name }));
  return { auth, account, exit: exitFor(account) };
}

/** Runs `ward-unix` with `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    const ce = e as { exitCode?: number; code?: string };
    if (ce.code === 'commander.helpDisplayed' || ce.code === 'commander.version') return EXIT.ok;
    return typeof ce.exitCode === 'number' && ce.exitCode !== 0 ? EXIT.usage : EXIT.ok;
  }
  return code;
}
