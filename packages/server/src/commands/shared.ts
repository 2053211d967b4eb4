/**
 * What the `wardd` command line needs before it knows which subcommand runs: kept apart from the
 * subcommands' modules so that `wardd healthcheck` (run every few seconds by a supervisor) loads
 * neither the HTTP stack nor the database.
 */

/** A failure whose message is written for an administrator: printed as is, without its type. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

/** The built-in accounts `wardd recover-account` may reset. */
export const RECOVERABLE_ACCOUNTS = ['admin', 'idm_admin'] as const;
export type RecoverableAccount = (typeof RECOVERABLE_ACCOUNTS)[number];
