/**
 * The rules for what an administrator may write into an OAuth2 client, defined once for the
 * server (which enforces them) and the CLI (which checks arguments before sending them):
 * scope names, claim names and values, landing and redirect URLs.
 *
 * Redirect URLs are compared exactly by the server (no prefix or wildcard match), so the check
 * here is about what may be registered at all: absolute https URLs without credentials or a
 * fragment; loopback addresses (`localhost`, 127.0.0.0/8, [::1]) only for public clients that
 * allow them explicitly, where http is accepted too (RFC 8252 §7.3: a native app listening on a
 * loopback port has no certificate).
 */
import {
  OAUTH2_CLAIM_NAME_MAX_LENGTH, OAUTH2_CLAIM_VALUE_MAX_LENGTH, OAUTH2_SCOPE_MAX_LENGTH, OAUTH2_URL_MAX_LENGTH,
} from './api/oauth2.js';
import { hasControlCharacters } from './names.js';

/** RFC 6749 §3.3 scope-token characters: printable ASCII but space, `"` and `\`. */
const SCOPE_RE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export function scopeProblem(scope: unknown): string | undefined {
  if (typeof scope !== 'string' || scope.length === 0) return 'a scope must be a non-empty string';
  if (scope.length > OAUTH2_SCOPE_MAX_LENGTH) return `a scope must be at most ${OAUTH2_SCOPE_MAX_LENGTH} characters`;
  if (!SCOPE_RE.test(scope)) return `${JSON.stringify(scope)} is not a scope (printable ASCII without spaces, quotes or backslashes)`;
  return undefined;
}

/**
 * Claims the IdP sets itself: protocol claims (RFC 7519, OpenID Connect Core §2, §5.1) and the
 * standard ones Ward fills from the directory. A claim map may not replace them.
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'auth_time', 'nonce', 'acr', 'amr', 'azp', 'sid', 'at_hash',
  'c_hash', 's_hash', 'cnf', 'scope', 'client_id', 'token_type', 'active', 'username',
  'name', 'preferred_username', 'email', 'email_verified', 'groups', 'given_name', 'family_name', 'middle_name',
  'nickname', 'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
  'phone_number', 'phone_number_verified', 'address', '_claim_names', '_claim_sources',
]);

const CLAIM_RE = /^[A-Za-z][A-Za-z0-9_.:-]*$/;

/**
 * Names every JavaScript object inherits (constructor, toString, hasOwnProperty, ...): a claim so
 * named collides with them in the OpenID libraries of both sides (oidc-provider drops a
 * "constructor" claim silently; others break on the rest), so no claim may take one.
 */
export function isObjectPropertyName(name: string): boolean {
  return Object.getOwnPropertyNames(Object.prototype).includes(name);
}

export function claimNameProblem(claim: unknown): string | undefined {
  if (typeof claim !== 'string' || claim.length === 0) return 'a claim name must be a non-empty string';
  if (claim.length > OAUTH2_CLAIM_NAME_MAX_LENGTH) return `a claim name must be at most ${OAUTH2_CLAIM_NAME_MAX_LENGTH} characters`;
  if (!CLAIM_RE.test(claim)) return `${JSON.stringify(claim)} is not a claim name (a letter, then letters, digits, "_", ".", ":" or "-")`;
  if (RESERVED_CLAIMS.has(claim)) return `"${claim}" is a claim the IdP sets itself; choose another name`;
  if (isObjectPropertyName(claim)) return `"${claim}" is the name of a property every JavaScript object has, which OpenID libraries (ours included) mishandle; choose another name`;
  return undefined;
}

/** A claim value that starts with "{" is a JSON object; anything else is text. */
export function isJsonObjectValue(value: string): boolean {
  return value.trimStart().startsWith('{');
}

/** The JSON object a value holds (validated), or undefined for a text value. */
export function claimObjectOf(value: string): Record<string, unknown> | undefined {
  if (!isJsonObjectValue(value)) return undefined;
  const parsed = JSON.parse(value) as unknown;
  return parsed as Record<string, unknown>;
}

export function claimValueProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'a claim value must be a non-empty string';
  if (value.length > OAUTH2_CLAIM_VALUE_MAX_LENGTH) return `a claim value must be at most ${OAUTH2_CLAIM_VALUE_MAX_LENGTH} characters`;
  if (!isJsonObjectValue(value)) {
    return hasControlCharacters(value) ? 'a claim value must not contain control characters' : undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (e) {
    return `the claim value is not valid JSON: ${(e as Error).message}`;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'a claim value starting with "{" must be a JSON object';
  return undefined;
}

/** Hosts that are the machine itself: `localhost` (and *.localhost), 127.0.0.0/8, ::1. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(h) || h === '::1';
}

function parseUrl(url: unknown, what: string): URL | string {
  if (typeof url !== 'string' || url.length === 0) return `${what} must be a non-empty string`;
  if (url.length > OAUTH2_URL_MAX_LENGTH) return `${what} must be at most ${OAUTH2_URL_MAX_LENGTH} characters`;
  if (hasControlCharacters(url) || /\s/.test(url)) return `${what} must not contain spaces or control characters`;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${what} ${JSON.stringify(url)} is not an absolute URL`;
  }
  if (u.username || u.password) return `${what} must not hold a user name or password`;
  // URLs are matched exactly, never as patterns: a "*" in a host would only ever look like one.
  if (u.hostname.includes('*')) return `${what} must not contain "*" in its host: URLs are matched exactly, wildcards are not supported`;
  return u;
}

/**
 * Where the apps page links to. The landing URL is also where a sign-out may return to (post_logout_redirect_uri), so it follows
 * the redirect rules: https, or http on a loopback host (an application on the person's machine).
 */
export function landingUrlProblem(url: unknown): string | undefined {
  const u = parseUrl(url, 'the landing URL');
  if (typeof u === 'string') return u;
  if (u.protocol === 'http:' && isLoopbackHost(u.hostname)) return undefined;
  if (u.protocol !== 'https:') return 'the landing URL must be an https URL (http is accepted only for localhost)';
  return undefined;
}

/**
 * Whether `url` may be registered as a redirect URL of a client; `localhostAllowed` is true only
 * for a public client that enabled localhost redirects.
 */
export function redirectUrlProblem(url: unknown, localhostAllowed: boolean): string | undefined {
  const u = parseUrl(url, 'a redirect URL');
  if (typeof u === 'string') return u;
  if (u.hash || (url as string).includes('#')) return 'a redirect URL must not have a fragment (#...)';
  if (isLoopbackHost(u.hostname)) {
    if (!localhostAllowed) {
      return 'a localhost redirect URL needs a public client with localhost redirects enabled (ward system oauth2 enable-localhost-redirects)';
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'a localhost redirect URL must be an http or https URL';
    return undefined;
  }
  if (u.protocol !== 'https:') return 'a redirect URL must be an https URL (http is accepted only for localhost)';
  return undefined;
}
