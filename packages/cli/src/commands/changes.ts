/**
 * How the CLI tells "changed" from "unchanged" for routes whose answer is the entry itself rather
 * than `{ok, changed}`: the idempotent creates answer 201 Created when they made something and
 * 200 OK when an identical entry was already there; for updates the entry before and after are
 * compared, ignoring the timestamp a server may bump on a no-op.
 */
export function createdStatus(status: number): boolean {
  return status === 201;
}

export function sameEntry(before: object, after: object): boolean {
  const strip = (entry: object): string => JSON.stringify({ ...entry, updated_at: undefined });
  return strip(before) === strip(after);
}
