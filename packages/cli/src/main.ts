/**
 * The one place where `ward` turns an outcome into an exit status. A failure prints exactly one
 * line on standard error, `ward: <reason> (<error code>)`, with a code from the proto error
 * catalog; with `-o json` standard output also gets `{ok: false, error, message, exit_code}`.
 * Exit codes come from the table in exit-codes.ts.
 */
import { CommanderError } from 'commander';
import { WardError, isErrorCode, type ErrorCode } from '@ward/proto';
import { EXIT, EXIT_FOR_ERROR } from './exit-codes.js';
import { Output, safe } from './output.js';
import { buildProgram, type Runtime } from './program.js';
import { Interrupted } from './secrets.js';

interface Failure {
  code: ErrorCode;
  message: string;
  exit: number;
}

/** Commander's own errors are usage errors; help and --version are successes. */
function commanderFailure(e: CommanderError, runtime: Runtime): Failure | number {
  // `--help`, `help CMD` and `--version` end with exit code 0; help shown for an error does not.
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || (e.code === 'commander.help' && e.exitCode === 0)) {
    return EXIT.ok;
  }
  if (e.code === 'commander.help') {
    // A command that needs a subcommand was given none; commander printed its help to our buffer.
    const usage = /^Usage: (\S+(?: \S+)*?) \[options\]/m.exec(runtime.commanderErr)?.[1] ?? 'ward';
    return { code: 'bad_request', message: `${usage} needs a subcommand; see "${usage} --help"`, exit: EXIT.usage };
  }
  return { code: 'bad_request', message: e.message.replace(/^error: /, ''), exit: EXIT.usage };
}

function classify(e: unknown, runtime: Runtime): Failure | number {
  if (e instanceof CommanderError) return commanderFailure(e, runtime);
  if (e instanceof Interrupted) return { code: 'bad_request', message: 'interrupted', exit: 130 };
  if (e instanceof WardError || (e instanceof Error && isErrorCode((e as { code?: unknown }).code))) {
    const code = (e as WardError).code;
    let message = e.message;
    const ctx = runtime.ctx;
    if ((code === 'token_invalid' || code === 'unauthenticated') && ctx?.tokenSource === 'cache' && ctx.cachedEntry) {
      // The cached session is dead (expired early, revoked, or the server's key changed): forget it.
      try {
        ctx.cache.remove(ctx.cachedEntry.url, ctx.cachedEntry.name);
      } catch {
        /* the error below says what to do either way */
      }
      message = `the cached login of ${ctx.cachedEntry.spn} is no longer valid; run "ward login -D ${ctx.cachedEntry.name}"`;
    } else if ((code === 'token_invalid' || code === 'unauthenticated') && ctx?.tokenSource === 'env') {
      message = `the token in WARD_TOKEN was refused: ${message}`;
    }
    return { code, message, exit: EXIT_FOR_ERROR[code] };
  }
  return { code: 'internal', message: e instanceof Error ? e.message : String(e), exit: EXIT.failure };
}

/** Run `ward` with these arguments (process.argv form); resolves to the exit status. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const runtime: Runtime = {
    env,
    warn: (message) => void process.stderr.write(`ward: warning: ${oneLine(message)}\n`),
    commanderErr: '',
  };
  const program = buildProgram(runtime);
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (e) {
    const failure = classify(e, runtime);
    if (typeof failure === 'number') return failure;
    process.stderr.write(`ward: ${oneLine(failure.message)} (${failure.code})\n`);
    const out = runtime.ctx?.out ?? new Output(program.opts<{ output?: string }>().output === 'json' ? 'json' : 'text');
    out.error(failure.code, failure.message, failure.exit);
    return failure.exit;
  }
}

/** Messages may come from the server: one line, no control characters. */
function oneLine(message: string): string {
  return safe(message.replace(/\s*[\r\n]+\s*/g, ' ').trim());
}
