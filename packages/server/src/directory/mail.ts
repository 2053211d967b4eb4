/**
 * Mail addresses are unique across accounts, without letter case: two persons sharing one would
 * both be asserted to applications as its verified owner (OpenID Connect `email_verified`), and
 * an application that links accounts by mail would hand one person's account to the other.
 *
 * The table `mail_addresses` (migration 5) holds one row per address, keyed by its folded form,
 * naming the account that holds it; its primary key makes a duplicate impossible even between
 * two writers. Letters A-Z are folded, other characters compared as they are: the same folding
 * as SQLite's lower(), which filled the table from the addresses an older Ward stored. Where
 * such an older database already held one address on two accounts, the account created first
 * keeps it in the table; the other keeps it in its entry but is no longer said to own it
 * (`ownsMail` false: no `email_verified`), and must drop it before its mail can change again.
 */
import { WardError } from '@ward/proto';
import type { DirectoryCore } from './core.js';

/** The folded form two addresses are compared by. */
export function mailKey(address: string): string {
  return address.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/**
 * Makes `addresses` the ones `uuid` holds, inside the caller's write; `conflict` naming the
 * holder when another account holds one of them.
 */
export function claimMail(core: DirectoryCore, uuid: string, addresses: readonly string[]): void {
  const holder = core.stmt('SELECT e.name FROM mail_addresses m JOIN entries e ON e.uuid = m.account_uuid WHERE m.address = ? AND m.account_uuid <> ?').pluck();
  for (const address of addresses) {
    const name = holder.get(mailKey(address), uuid) as string | undefined;
    if (name !== undefined) throw new WardError('conflict', `the mail address ${address} is already used by "${name}"`);
  }
  core.stmt('DELETE FROM mail_addresses WHERE account_uuid = ?').run(uuid);
  const insert = core.stmt('INSERT INTO mail_addresses (address, account_uuid) VALUES (?, ?)');
  for (const address of addresses) insert.run(mailKey(address), uuid);
}

/** Whether `uuid` is the one account that holds `address`. */
export function ownsMail(core: DirectoryCore, uuid: string, address: string): boolean {
  return core.stmt('SELECT account_uuid FROM mail_addresses WHERE address = ?').pluck().get(mailKey(address)) === uuid;
}
