/**
 * `ward person ...`: people who log in. Everything is shared with service accounts
 * (account.ts); this file only names the command.
 */
import type { Command } from 'commander';
import type { Runtime } from '../program.js';
import { registerAccountCommands } from './account.js';
import { registerCredentialCommands } from './credential.js';

export function registerPersonCommands(program: Command, runtime: Runtime): void {
  const person = program.command('person').description('persons: create, read, change, delete; POSIX attributes; SSH keys; credential reset links');
  registerAccountCommands(person, runtime, 'person');
  registerCredentialCommands(person, runtime);
}
