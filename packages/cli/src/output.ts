/**
 * Everything `ward` prints on standard output, in one of two forms chosen by `-o`:
 *   text  for people: an entry as aligned `key: value` lines (a multi-valued attribute repeats its
 *         key, one value a line), a list as one entry a line in aligned columns, a change as one
 *         line saying what happened;
 *   json  for scripts: the API's object unchanged, or `{ok, changed, ...}` for a change; one JSON
 *         document per run, pretty-printed, followed by a newline.
 * Text from the server is escaped so that control characters cannot reach the terminal.
 */
import { WardError } from '@ward/proto';

export type OutputFormat = 'text' | 'json';

export function parseOutputFormat(value: string): OutputFormat {
  if (value === 'text' || value === 'json') return value;
  throw new WardError('bad_request', `-o/--output must be "text" or "json", not ${JSON.stringify(value)}`);
}

export type FieldValue = string | number | boolean | null | undefined | ReadonlyArray<string | number>;
/** One entry for text output: ordered keys and their values; null, undefined and [] are left out. */
export type Fields = ReadonlyArray<readonly [string, FieldValue]>;

// eslint-disable-next-line no-control-regex
const UNSAFE_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Make a value safe to print on a terminal: control characters become \uXXXX. */
export function safe(value: string | number | boolean): string {
  return String(value).replace(UNSAFE_RE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function renderFields(fields: Fields): string {
  const lines: Array<[string, string]> = [];
  for (const [key, value] of fields) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) lines.push([key, safe(item)]);
    else lines.push([key, safe(value as string | number | boolean)]);
  }
  const width = Math.max(0, ...lines.map(([k]) => k.length)) + 1;
  return lines.map(([k, v]) => `${(k + ':').padEnd(width)} ${v}`.trimEnd() + '\n').join('');
}

export function renderColumns(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = rows.map((row) => row.map((c) => safe(c)));
  const widths: number[] = [];
  for (const row of cells) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return cells
    .map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd() + '\n')
    .join('');
}

export class Output {
  constructor(
    readonly format: OutputFormat,
    private readonly write: (text: string) => void = (t) => void process.stdout.write(t),
  ) {}

  get json(): boolean {
    return this.format === 'json';
  }

  private emitJson(value: unknown): void {
    this.write(JSON.stringify(value, null, 2) + '\n');
  }

  /** One entry: the API object as JSON, or the given fields as text. */
  entry(value: unknown, fields: Fields): void {
    if (this.json) this.emitJson(value);
    else this.write(renderFields(fields));
  }

  /** A list: the API array as JSON, or one row an item as text. */
  list<T>(items: readonly T[], row: (item: T) => ReadonlyArray<string | number>): void {
    if (this.json) this.emitJson(items);
    else this.write(renderColumns(items.map(row)));
  }

  /**
   * The outcome of a change. JSON: `{ok: true, changed, ...extra}`; text: `<subject>: <verb>` when
   * something changed (`person alice: created`), `<subject>: unchanged` when it did not, then the
   * extra text fields if any.
   */
  change(changed: boolean, subject: string, verb: string, extra: Record<string, unknown> = {}, text?: Fields): void {
    if (this.json) return this.emitJson({ ok: true, changed, ...extra });
    this.write(`${safe(subject)}: ${changed ? verb : 'unchanged'}\n`);
    if (text) this.write(renderFields(text));
  }

  /** A plain text line (ignored in JSON mode, where `value` is printed instead). */
  message(text: string, value: unknown): void {
    if (this.json) this.emitJson(value);
    else this.write(safe(text) + '\n');
  }

  /** A failure: in JSON mode standard output also gets the error object (stderr always gets the line). */
  error(code: string, message: string, exitCode: number): void {
    if (this.json) this.emitJson({ ok: false, error: code, message, exit_code: exitCode });
  }
}
