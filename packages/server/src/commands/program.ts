/**
 * The `wardd` command line (commander): one subcommand per administrative task, each a thin
 * shell over a function in this folder. Every failure ends with one line on standard error,
 * `wardd: <reason>`, and a non-zero exit status; nothing prints a stack trace at an administrator.
 */
import { Command, Option } from 'commander';
import { WARD_VERSION, WardError } from '@ward/proto';
import { ConfigError } from '../config.js';
import { DbLockedError } from '../db-lock.js';
import { CommandError, RECOVERABLE_ACCOUNTS, type RecoverableAccount } from './shared.js';

// Each subcommand's module is imported when it runs, so a command loads only what it uses.
export const DEFAULT_CONFIG = '/etc/ward/server.toml';

/** Errors whose message is written for an administrator; anything else is shown with its type. */
function reason(e: unknown): string {
  if (e instanceof ConfigError) return `configuration: ${e.message}`;
  if (e instanceof WardError || e instanceof DbLockedError || e instanceof CommandError) return e.message;
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.message === 'string') return err.code ? `${err.message}` : `${err.name}: ${err.message}`;
  return String(e);
}

function fail(e: unknown): never {
  process.stderr.write(`wardd: ${reason(e).split('\n')[0]}\n`);
  process.exit(1);
}

/** Run an action; any error becomes the one-line failure. */
function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void) {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      fail(e);
    }
  };
}

const configOption = () => new Option('-c, --config <file>', 'the server configuration').default(DEFAULT_CONFIG);

export function buildProgram(): Command {
  const program = new Command('wardd')
    .description('Ward identity provider server and its administration')
    .version(WARD_VERSION)
    // Usage errors too are one line: `wardd: unknown option '--bogus'`.
    .configureOutput({ outputError: (text, write) => write(`wardd: ${text.replace(/^error: /, '').trimEnd().split('\n')[0]}\n`) });

  program
    .command('server')
    .description('run the identity provider')
    .addOption(configOption())
    .action(action(async (opts: { config: string }) => (await import('./server.js')).runServer(opts.config)));

  program
    .command('cert-generate')
    .description('create a CA and a server certificate for development and the demo (ca.pem, cert.pem, key.pem)')
    .requiredOption('--out <dir>', 'folder to write the files into')
    .option('--domain <name>', 'DNS name of the server', 'localhost')
    .option('--ip <address...>', 'IP addresses to include (repeatable)', ['127.0.0.1', '::1'])
    .option('--days <n>', 'lifetime of the server certificate in days', '365')
    .option('--force', 'replace existing files')
    .action(
      action(async (opts: { out: string; domain: string; ip: string[]; days: string; force?: boolean }) => {
        if (!/^\d+$/.test(opts.days)) throw new CommandError('--days: must be a whole number of days');
        const { generateCertificates, writeCertificates } = await import('./cert-generate.js');
        const certs = await generateCertificates({ domain: opts.domain, ips: opts.ip, days: Number(opts.days) });
        const files = writeCertificates(opts.out, certs, opts.force === true);
        process.stdout.write(`CA certificate:     ${files.ca}\ncertificate chain:  ${files.chain}\nprivate key (0600): ${files.key}\n`);
      }),
    );

  program
    .command('recover-account')
    .description('set and print a new random password for a built-in administrator')
    .addArgument(program.createArgument('<name>', 'the account').choices([...RECOVERABLE_ACCOUNTS]))
    .addOption(configOption())
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(
      action(async (name: RecoverableAccount, opts: { config: string; output: string }) => {
        const { recoverFromConfig } = await import('./recover-account.js');
        const password = await recoverFromConfig(opts.config, name);
        process.stdout.write(opts.output === 'json' ? `${JSON.stringify({ name, password })}\n` : `new password for ${name}: ${password}\n`);
      }),
    );

  program
    .command('backup')
    .description('write a consistent copy of the database (safe while the server runs)')
    .argument('<file>', 'the backup file to write')
    .addOption(configOption())
    .option('--force', 'replace an existing file')
    .action(
      action(async (file: string, opts: { config: string; force?: boolean }) => {
        const { backupFromConfig } = await import('./backup.js');
        const r = await backupFromConfig(opts.config, file, opts.force === true);
        process.stdout.write(`backup written to ${r.file} (${r.bytes} bytes)\n`);
      }),
    );

  program
    .command('restore')
    .description('replace the database with a backup (the server must be stopped)')
    .argument('<file>', 'the backup file to restore')
    .addOption(configOption())
    .action(
      action(async (file: string, opts: { config: string }) => {
        const { restoreFromConfig } = await import('./backup.js');
        const r = restoreFromConfig(opts.config, file);
        const kept = r.previous ? `; the replaced database was kept as ${r.previous}` : '';
        process.stdout.write(`restored ${r.file} into ${r.dbPath}${kept}\n`);
      }),
    );

  program
    .command('healthcheck')
    .description('GET /status over TLS; exit 0 when healthy, 1 otherwise')
    .addOption(configOption())
    .option('--url <url>', 'probe this URL instead of the configured bindaddress')
    .option('--ca <file>', 'trust this CA (PEM) instead of the configured tls_chain')
    .option('--timeout <seconds>', 'give up after this long', '5')
    .action(
      action(async (opts: { config: string; url?: string; ca?: string; timeout: string }, cmd: Command) => {
        const seconds = Number(opts.timeout);
        if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 300) throw new CommandError('--timeout: must be a number of seconds from 0 to 300');
        // With --url, the configuration is read only when named explicitly.
        const useConfig = opts.url === undefined || cmd.getOptionValueSource('config') !== 'default';
        const { healthcheck } = await import('./healthcheck.js');
        const r = await healthcheck({
          ...(useConfig ? { configPath: opts.config } : {}),
          ...(opts.url !== undefined ? { url: opts.url } : {}),
          ...(opts.ca !== undefined ? { caPath: opts.ca } : {}),
          timeoutMs: seconds * 1000,
        });
        if (r.healthy) {
          process.stdout.write(`healthy: ${r.url} (${r.detail})\n`);
        } else {
          process.stderr.write(`wardd: unhealthy: ${r.url}: ${r.detail}\n`);
          process.exitCode = 1;
        }
      }),
    );

  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
