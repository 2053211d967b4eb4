/**
 * Shared by the web UI's page scripts (compiled for browsers by this folder's tsconfig, served by
 * wardd at /ui/static/common.js). The pages work without script except for passkeys; these
 * helpers read a page's JSON data block, call the UI's JSON endpoints with the page's CSRF token,
 * and turn WebAuthn failures into sentences for people.
 *
 * @simplewebauthn/browser is loaded before the page scripts as its UMD bundle (a global), so no
 * bundler is needed; only its types are imported here.
 */
import type * as SimpleWebAuthn from '@simplewebauthn/browser';

declare global {
  interface Window {
    SimpleWebAuthnBrowser?: typeof SimpleWebAuthn;
  }
}

/** The WebAuthn helpers, or undefined when the bundle did not load. */
export function webauthn(): typeof SimpleWebAuthn | undefined {
  return window.SimpleWebAuthnBrowser;
}

/** The page's data block `<script type="application/json" id="...">`. */
export function pageData<T>(id: string): T {
  const el = document.getElementById(id);
  if (!el?.textContent) throw new Error(`the page has no ${id} data`);
  return JSON.parse(el.textContent) as T;
}

/** POST JSON to one of the UI's endpoints; resolves with the answer or rejects with its message. */
export async function postJson<T>(url: string, csrf: string, body: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify(body),
  });
  let answer: { message?: string } & Record<string, unknown> = {};
  try {
    answer = (await res.json()) as typeof answer;
  } catch {
    // not JSON: fall through with the status
  }
  if (!res.ok) throw new Error(typeof answer.message === 'string' ? answer.message : `the server answered ${res.status}`);
  return answer as T;
}

/** A WebAuthn or network failure, as a sentence. */
export function describeError(e: unknown): string {
  const err = e as { name?: string; code?: string; message?: string };
  if (err?.name === 'NotAllowedError' || err?.code === 'ERROR_CEREMONY_ABORTED') {
    return 'The passkey request was cancelled or timed out. Try again.';
  }
  if (err?.name === 'InvalidStateError') return 'This passkey is already registered for your account.';
  if (err?.name === 'SecurityError') return 'Passkeys cannot be used at this address; open the site at its configured address.';
  if (err?.name === 'TypeError' && /fetch/i.test(err.message ?? '')) return 'The server could not be reached. Check your connection and try again.';
  return err?.message || 'Something went wrong. Try again.';
}

/** Show (or, with null, hide) the message in a page's alert element. */
export function showError(el: HTMLElement | null, message: string | null): void {
  if (!el) return;
  el.textContent = message ?? '';
  el.hidden = message === null;
}

/** Reveal the parts of the page that need WebAuthn, and hide their "no WebAuthn" alternatives. */
export function revealWebAuthnParts(): boolean {
  const swa = webauthn();
  const ok = !!swa && swa.browserSupportsWebAuthn();
  for (const el of document.querySelectorAll<HTMLElement>('[data-needs-webauthn]')) el.hidden = !ok;
  for (const el of document.querySelectorAll<HTMLElement>('[data-no-webauthn]')) el.hidden = ok;
  return ok;
}
