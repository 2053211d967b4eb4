/**
 * The one HTML template helper of the web UI. Every page is built with the `html` tagged
 * template: each interpolated value is escaped unless it is already `SafeHtml` (the result of
 * another `html` call), so text from people, the directory or a URL can never become markup.
 * There is deliberately no "raw string" escape hatch for callers; the only trusted markup is
 * what this module's templates produce.
 *
 * Attribute values must always be quoted in templates (`value="${x}"`): escaping covers both
 * quote characters, so a value cannot leave its attribute.
 */

/** Markup that is safe to insert as is: produced by `html` from escaped parts. */
export class SafeHtml {
  /** Only this module mints SafeHtml from strings; elsewhere it comes from `html` results. */
  private constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }

  /** @internal the template helper's constructor */
  static fromTrusted(value: string): SafeHtml {
    return new SafeHtml(value);
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text -> HTML text or attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

/** What may be interpolated: text and numbers (escaped), markup, lists of either, or nothing. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false || value === true) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value));
}

/** The template tag: html`<p>${text}</p>`. `true`/`false`/null/undefined render nothing (for `cond && html`...``). */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return SafeHtml.fromTrusted(out);
}

/**
 * A JSON data block for a page script (`<script type="application/json">` is never executed, so
 * the Content-Security-Policy allows it). `<`, `>`, `&` and the line separators are escaped as
 * JSON unicode escapes so the text cannot close the element or be read as markup.
 */
export function jsonData(id: string, data: unknown): SafeHtml {
  const json = JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return html`<script type="application/json" id="${id}">${SafeHtml.fromTrusted(json)}</script>`;
}

/** `attr` when `on`, nothing otherwise: html`<input ${flag(req, 'required')}>`. */
export function flag(on: boolean, attr: 'required' | 'disabled' | 'checked' | 'autofocus' | 'hidden' | 'readonly'): SafeHtml {
  return SafeHtml.fromTrusted(on ? attr : '');
}
