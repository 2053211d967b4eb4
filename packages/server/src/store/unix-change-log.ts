/**
 * The schema of the unix change log (migration 4, issue 9): what hosts follow to keep their
 * cache of the unix view current without listing the whole directory again. Triggers sit on every
 * table the unix view reads: entries, memberships, ssh_keys and the unix row of credentials.
 *
 *   unix_changes       the log: one row per account or group whose unix projection changed, in
 *                      commit order (seq). Rows name entries, not values: a host asks for the
 *                      state as it is now. AUTOINCREMENT so a seq is never reused, even after
 *                      compaction deleted every row (sqlite_sequence keeps the head).
 *   unix_change_facts  raw facts written by the triggers below in the same transaction as the
 *                      change itself, whichever process or code path made it. The directory
 *                      turns them into unix_changes rows before its commit (directory/
 *                      unix-change-log.ts), where it can follow nesting; the table is empty
 *                      between transactions unless another process wrote without doing so.
 *     fact   'entry'  uuid changed; wide = its name, number, kind or existence changed, so the
 *                     groups it is in (an account) or the accounts in it (a group) changed too;
 *                     posix = it was or is POSIX (non-POSIX entries matter only then).
 *            'edge'   the membership (uuid = group, other = member) was added or removed.
 *            'account'  something of the account uuid kept outside `entries` changed: an SSH key
                     came or went, or its unix password was set (password_changed_at).
 *   entries_expire_at  finds the next account expiry: `locked` turns true at that moment with no
 *                      write, so the directory logs the account then (the expiry sweep).
 *   entries_posix_accounts, entries_posix_groups  the sync listings page through exactly the POSIX
 *                      accounts or groups in uuid order, and look them up by uuid, without
 *                      reading the other entries (the kind index would make every group page
 *                      scan and sort all groups).
 *
 * The log id (settings UNIX_LOG_ID_SETTING) names one history of seqs. A new database gets a new
 * one here and a restore gets a new one (rotateUnixLogId), so a host's cursor from another
 * history is never mistaken for a position in this one.
 */
import type Database from 'better-sqlite3';

export const UNIX_LOG_ID_SETTING = 'directory.unix_log_id';

const NEW_LOG_ID = 'lower(hex(randomblob(8)))';

const ENTRY_FACT = `INSERT INTO unix_change_facts (fact, uuid, entry_kind, wide, posix)`;

export const UNIX_CHANGE_LOG_MIGRATION = `
  CREATE TABLE unix_changes (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('account', 'group')),
    uuid TEXT NOT NULL,
    at   INTEGER NOT NULL
  );

  CREATE TABLE unix_change_facts (
    id         INTEGER PRIMARY KEY,
    fact       TEXT NOT NULL CHECK (fact IN ('entry', 'edge', 'account')),
    uuid       TEXT NOT NULL,
    other      TEXT,
    entry_kind TEXT,
    wide       INTEGER NOT NULL DEFAULT 0,
    posix      INTEGER NOT NULL DEFAULT 0
  );

  CREATE INDEX entries_expire_at ON entries (expire_at) WHERE expire_at IS NOT NULL;
  CREATE INDEX entries_posix_accounts ON entries (uuid) WHERE kind != 'group' AND posix_id IS NOT NULL;
  CREATE INDEX entries_posix_groups ON entries (uuid) WHERE kind = 'group' AND posix_id IS NOT NULL;

  CREATE TRIGGER unix_facts_entry_insert AFTER INSERT ON entries BEGIN
    ${ENTRY_FACT} VALUES ('entry', NEW.uuid, NEW.kind, 1, NEW.posix_id IS NOT NULL);
  END;
  CREATE TRIGGER unix_facts_entry_delete AFTER DELETE ON entries BEGIN
    ${ENTRY_FACT} VALUES ('entry', OLD.uuid, OLD.kind, 1, OLD.posix_id IS NOT NULL);
  END;
  CREATE TRIGGER unix_facts_entry_identity AFTER UPDATE OF name, posix_id, kind ON entries
    WHEN OLD.name IS NOT NEW.name OR OLD.posix_id IS NOT NEW.posix_id OR OLD.kind IS NOT NEW.kind
  BEGIN
    ${ENTRY_FACT} VALUES ('entry', OLD.uuid, OLD.kind, 1, OLD.posix_id IS NOT NULL OR NEW.posix_id IS NOT NULL);
    ${ENTRY_FACT} SELECT 'entry', NEW.uuid, NEW.kind, 1, OLD.posix_id IS NOT NULL OR NEW.posix_id IS NOT NULL
      WHERE OLD.kind IS NOT NEW.kind;
  END;
  CREATE TRIGGER unix_facts_entry_attributes AFTER UPDATE OF displayname, shell, locked, expire_at ON entries
    WHEN OLD.displayname IS NOT NEW.displayname OR OLD.shell IS NOT NEW.shell
      OR OLD.locked IS NOT NEW.locked OR OLD.expire_at IS NOT NEW.expire_at
  BEGIN
    ${ENTRY_FACT} VALUES ('entry', NEW.uuid, NEW.kind, 0, OLD.posix_id IS NOT NULL OR NEW.posix_id IS NOT NULL);
  END;

  CREATE TRIGGER unix_facts_edge_insert AFTER INSERT ON memberships BEGIN
    INSERT INTO unix_change_facts (fact, uuid, other) VALUES ('edge', NEW.group_uuid, NEW.member_uuid);
  END;
  CREATE TRIGGER unix_facts_edge_delete AFTER DELETE ON memberships BEGIN
    INSERT INTO unix_change_facts (fact, uuid, other) VALUES ('edge', OLD.group_uuid, OLD.member_uuid);
  END;

  CREATE TRIGGER unix_facts_key_insert AFTER INSERT ON ssh_keys BEGIN
    INSERT INTO unix_change_facts (fact, uuid) VALUES ('account', NEW.account_uuid);
  END;
  CREATE TRIGGER unix_facts_key_delete AFTER DELETE ON ssh_keys BEGIN
    INSERT INTO unix_change_facts (fact, uuid) VALUES ('account', OLD.account_uuid);
  END;
  CREATE TRIGGER unix_facts_key_update AFTER UPDATE ON ssh_keys BEGIN
    INSERT INTO unix_change_facts (fact, uuid) VALUES ('account', OLD.account_uuid);
    INSERT INTO unix_change_facts (fact, uuid) SELECT 'account', NEW.account_uuid WHERE NEW.account_uuid IS NOT OLD.account_uuid;
  END;

  -- The unix password: set (insert or a new updated_at) or gone. A rehash keeps updated_at.
  CREATE TRIGGER unix_facts_password_insert AFTER INSERT ON credentials WHEN NEW.type = 'unix' BEGIN
    INSERT INTO unix_change_facts (fact, uuid) VALUES ('account', NEW.account_uuid);
  END;
  CREATE TRIGGER unix_facts_password_delete AFTER DELETE ON credentials WHEN OLD.type = 'unix' BEGIN
    INSERT INTO unix_change_facts (fact, uuid) VALUES ('account', OLD.account_uuid);
  END;
  CREATE TRIGGER unix_facts_password_update AFTER UPDATE OF updated_at ON credentials
    WHEN NEW.type = 'unix' AND OLD.updated_at IS NOT NEW.updated_at
  BEGIN
    INSERT INTO unix_change_facts (fact, uuid) VALUES ('account', NEW.account_uuid);
  END;

  INSERT INTO settings (key, value) VALUES ('${UNIX_LOG_ID_SETTING}', ${NEW_LOG_ID})
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
`;

/**
 * Gives the store a new change log id: every host cursor issued before is answered `resync`.
 * A restored store's log would otherwise replay seqs hosts already passed with other changes.
 */
export function rotateUnixLogId(db: Database.Database): void {
  db.prepare(
    `INSERT INTO settings (key, value) VALUES (?, ${NEW_LOG_ID}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  ).run(UNIX_LOG_ID_SETTING);
}
