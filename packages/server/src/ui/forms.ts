/**
 * HTML form posts (`application/x-www-form-urlencoded`) for the web UI: the parser, registered in
 * the UI's scope only (the REST API stays JSON-only), and typed access to the fields. A form is
 * small: the body limit is far below the API's, a form with too many fields or a repeated field
 * is refused, and every field is a string of bounded length, so nothing larger than a sentence
 * reaches a handler.
 */
import type { FastifyInstance } from 'fastify';
import { WardError } from '@ward/proto';
import { decodeUtf8Body } from '../http/utf8.js';

/** Largest form body: an SSH key (up to 16 KiB) with its tag and a CSRF token. */
export const FORM_BODY_LIMIT = 32 * 1024;
const MAX_FIELDS = 32;
const DEFAULT_MAX_LENGTH = 1024;

export class Form {
  constructor(private readonly fields: ReadonlyMap<string, string>) {}

  /** A field as sent (no trimming), or undefined when absent. */
  optional(name: string, maxLength = DEFAULT_MAX_LENGTH): string | undefined {
    const value = this.fields.get(name);
    if (value === undefined) return undefined;
    if (value.length > maxLength) throw new WardError('bad_request', `the field "${name}" is longer than ${maxLength} characters`);
    return value;
  }

  /** A field that must be present (it may be empty: callers say what an empty value means). */
  required(name: string, maxLength = DEFAULT_MAX_LENGTH): string {
    const value = this.optional(name, maxLength);
    if (value === undefined) throw new WardError('bad_request', `the field "${name}" is missing`);
    return value;
  }

  /** A field with surrounding white space removed, that must not be empty; `label` names it for people. */
  text(name: string, label: string, maxLength = DEFAULT_MAX_LENGTH): string {
    const value = this.required(name, maxLength).trim();
    if (!value) throw new WardError('bad_request', `enter ${label}`);
    return value;
  }
}

/**
 * The name/value pairs of a urlencoded body, as URLSearchParams splits them, but percent-escapes
 * decoded strictly: bytes that are not UTF-8 are refused, not turned into U+FFFD.
 */
function formPairs(body: string): Array<[string, string]> {
  const decode = (text: string): string => {
    try {
      return decodeURIComponent(text.replace(/\+/g, ' '));
    } catch {
      throw new WardError('bad_request', 'the form is not valid UTF-8 (or holds a bad percent-escape)');
    }
  };
  return body
    .split('&')
    .filter((part) => part.length > 0)
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? [decode(part), ''] : [decode(part.slice(0, eq)), decode(part.slice(eq + 1))];
    });
}

/** Parse a urlencoded body; refuses repeated or too many fields. */
export function parseForm(body: string): Form {
  const fields = new Map<string, string>();
  for (const [key, value] of formPairs(body)) {
    if (fields.has(key)) throw new WardError('bad_request', `the field "${key}" is repeated`);
    fields.set(key, value);
    if (fields.size > MAX_FIELDS) throw new WardError('bad_request', 'the form has too many fields');
  }
  return new Form(fields);
}

/** The body of a form post, parsed by the parser below. */
export function formOf(body: unknown): Form {
  if (body instanceof Form) return body;
  throw new WardError('unsupported_media_type', 'send this form as application/x-www-form-urlencoded');
}

/** Register the form parser in the given (UI) scope. */
export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer', bodyLimit: FORM_BODY_LIMIT },
    (_request, body, done) => {
      try {
        done(null, parseForm(decodeUtf8Body(body as Buffer)));
      } catch (e) {
        done(e as Error, undefined);
      }
    },
  );
}
