/**
 * The command tree of `ward`: the global options and one register function per area
 * (commands/*.ts). `act` wraps every command's handler so that each runs with a Context built from
 * the global options, and always closes its HTTPS connections. Errors propagate to main(), which
 * alone prints them and picks the exit code.
 */
import { Command, Option } from 'commander';
import { WARD_VERSION } from '@ward/proto';
import { Context, type GlobalOptions } from './context.js';
import { registerAuthCommands } from './commands/auth.js';
import { registerGroupCommands } from './commands/group.js';
import { registerOAuth2Commands } from './commands/oauth2.js';
import { registerPersonCommands } from './commands/person.js';
import { registerServiceAccountCommands } from './commands/service-account.js';

/** What a run shares between the program and main(): the environment, and the context once built. */
export interface Runtime {
  env: NodeJS.ProcessEnv;
  warn: (message: string) => void;
  /** Set by `act` before the handler runs, so main() can render an error in the chosen format. */
  ctx?: Context;
  /** Text commander meant for standard error (usage errors and help after an error), kept for main(). */
  commanderErr: string;
}

export type Handler<A extends unknown[]> = (ctx: Context, ...args: A) => Promise<void>;

/**
 * Turn a handler into a commander action. Commander calls actions with the positional arguments,
 * the command's options and the command itself; the handler gets the context and the first two.
 */
export function act<A extends unknown[]>(runtime: Runtime, handler: Handler<A>) {
  return async (...params: unknown[]): Promise<void> => {
    const cmd = params[params.length - 1] as Command;
    const ctx = new Context(cmd.optsWithGlobals<GlobalOptions>(), runtime.env, runtime.warn);
    runtime.ctx = ctx;
    try {
      await handler(ctx, ...(params.slice(0, -1) as A));
    } finally {
      ctx.close();
    }
  };
}

export function buildProgram(runtime: Runtime): Command {
  const program = new Command('ward')
    .description('Administer a Ward identity provider: accounts, groups, POSIX attributes, SSH keys, API tokens and single sign-on applications.')
    .version(WARD_VERSION, '-V, --version')
    .addOption(new Option('-H, --url <url>', 'the server, e.g. https://idm.example.com:8443').env('WARD_URL'))
    .addOption(new Option('-C, --ca <file>', 'PEM file of the CA that signed the server certificate').env('WARD_CA_PATH'))
    .addOption(new Option('-D, --name <name>', 'the account to log in as, or whose cached login to use').env('WARD_NAME'))
    .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Environment:
  WARD_PASSWORD     password for "ward login" (otherwise a prompt, or a line of standard input)
  WARD_TOTP         TOTP code for "ward login" when the account has one (otherwise a prompt)
  WARD_BACKUP_CODE  a backup code for "ward login" instead of the TOTP code
  WARD_TOKEN        a token to use instead of the token cache (e.g. a service account's API token)
  WARD_TOKEN_CACHE  the token cache file (default ~/.cache/ward/tokens.json, mode 0600)

Exit status: 0 success, 1 server or other failure, 2 usage or bad input, 3 authentication
needed or failed, 4 not found, 5 forbidden, 6 conflict with an existing entry.`,
    )
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeErr: (text) => {
        runtime.commanderErr += text;
      },
      outputError: () => undefined,
    });
  registerAuthCommands(program, runtime);
  registerPersonCommands(program, runtime);
  registerGroupCommands(program, runtime);
  registerServiceAccountCommands(program, runtime);
  registerOAuth2Commands(program, runtime);
  return program;
}
