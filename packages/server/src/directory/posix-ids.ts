/**
 * POSIX numbers: one space for uidnumbers and gidnumbers (a POSIX account's uid is also the gid of
 * its implicit primary group), the rule of reserved ranges from @ward/proto (posixIdProblem).
 *
 * Allocation counts upward from POSIX_ALLOC_FIRST with a counter kept in the store, skipping every
 * number that was ever assigned (posix_id_history), so a number freed by a delete is never handed
 * out again automatically: files left on hosts with that owner cannot fall to a new account.
 * An administrator may still give a number explicitly; it is accepted when no entry holds it now.
 * Must run inside the caller's write transaction.
 */
import { POSIX_ALLOC_FIRST, POSIX_ALLOC_LAST, WardError } from '@ward/proto';
import { KIND_LABEL, type DirectoryCore, type EntryRow } from './core.js';
import { checkPosixId } from './validate.js';

const COUNTER_KEY = 'directory.posix_next_id';

function recordAssignment(core: DirectoryCore, id: number, uuid: string): void {
  core
    .stmt(
      'INSERT INTO posix_id_history (id, entry_uuid, assigned_at) VALUES (?, ?, ?) ' +
        'ON CONFLICT (id) DO UPDATE SET entry_uuid = excluded.entry_uuid, assigned_at = excluded.assigned_at',
    )
    .run(id, uuid, core.now());
}

/** The next never-used number; advances the persisted counter. */
export function allocatePosixId(core: DirectoryCore): number {
  let next = Math.max(Number(core.getSetting(COUNTER_KEY) ?? POSIX_ALLOC_FIRST), POSIX_ALLOC_FIRST);
  const used = core.stmt('SELECT 1 FROM posix_id_history WHERE id = ? UNION ALL SELECT 1 FROM entries WHERE posix_id = ?');
  while (next <= POSIX_ALLOC_LAST && used.get(next, next) !== undefined) next += 1;
  if (next > POSIX_ALLOC_LAST) {
    throw new WardError('conflict', `the POSIX allocation range ${POSIX_ALLOC_FIRST}-${POSIX_ALLOC_LAST} is exhausted; give numbers explicitly`);
  }
  core.setSetting(COUNTER_KEY, String(next + 1));
  return next;
}

/**
 * The number `row` should hold: `requested` if given (validated, free or already its own), else its
 * current one, else a newly allocated one. Records the assignment in the history.
 */
export function choosePosixId(core: DirectoryCore, row: EntryRow, requested: unknown, what: string): number {
  if (requested === undefined) {
    if (row.posix_id !== null) return row.posix_id;
    const id = allocatePosixId(core);
    recordAssignment(core, id, row.uuid);
    return id;
  }
  const id = checkPosixId(requested, what);
  if (id === row.posix_id) return id;
  const holder = core.stmt('SELECT name, kind FROM entries WHERE posix_id = ?').get(id) as
    | Pick<EntryRow, 'name' | 'kind'>
    | undefined;
  if (holder) throw new WardError('duplicate_id', `${what} ${id} is already used by the ${KIND_LABEL[holder.kind]} "${holder.name}"`);
  recordAssignment(core, id, row.uuid);
  return id;
}
