/**
 * The pages of single sign-on, in the web UI's style and with its template helper (ui/html.ts,
 * ui/layout.ts): what a scope means on the consent page, "access denied", the continue page
 * after signing in, and the provider's own pages (sign-out confirmation, signed out, errors).
 *
 * Content-Security-Policy and redirects: browsers apply a page's `form-action` to every redirect
 * that follows the form's submission. A form here ends, after redirects, at the application's
 * redirect URL or post-logout URL, so each such page names that one origin beside 'self'
 * (`cspAllowingFormTo`); everything else stays as strict as the rest of the UI.
 */
import type { Assets } from '../ui/assets.js';
import { errorPage } from '../ui/pages/error.js';
import { html, type SafeHtml } from '../ui/html.js';
import { page } from '../ui/layout.js';
import { UI_HEADERS } from '../ui/security.js';
import { CSRF_FIELD } from '../ui/csrf.js';

const SCOPE_WORDS: Record<string, string> = {
  openid: 'That it is you: a stable identifier of your account',
  profile: 'Your name and user name',
  email: 'Your email address',
  groups: 'The names of the groups you are in',
  offline_access: 'Access that continues while you are not using it (until you sign out or it expires)',
};

export function scopeDescription(scope: string): string {
  return SCOPE_WORDS[scope] ?? `Access named “${scope}”`;
}

/** The UI's Content-Security-Policy with `form-action` opened to one more origin. */
export function cspAllowingFormTo(target: string | undefined): string {
  const base = UI_HEADERS['content-security-policy']!;
  let origin: string | undefined;
  try {
    origin = target ? new URL(target).origin : undefined;
  } catch {
    origin = undefined;
  }
  if (!origin || origin === 'null') return base;
  return base.replace("form-action 'self'", `form-action 'self' ${origin}`);
}

export interface DeniedPage {
  assets: Assets;
  signedIn: { name: string; csrf: string };
  application: string;
  /** Where "Back to the application" posts (it ends the sign-in with access_denied). */
  action: string;
}

export function accessDeniedPage(p: DeniedPage): SafeHtml {
  const body = html`<h1>Access denied</h1>
    <div class="card">
      <p>Your account <strong>${p.signedIn.name}</strong> may not use <strong>${p.application}</strong>.</p>
      <p class="muted">Access to an application is given through groups. If you need it, ask an administrator
        to add you to a group that may use it.</p>
      <form method="post" action="${p.action}" class="actions spaced">
        <input type="hidden" name="${CSRF_FIELD}" value="${p.signedIn.csrf}">
        <button type="submit" class="secondary">Back to ${p.application}</button>
        <a class="button secondary" href="/ui/apps">Your applications</a>
      </form>
    </div>`;
  return page({ title: 'Access denied', body, assets: p.assets, signedIn: p.signedIn, narrow: true });
}

/**
 * Shown right after the sign-in form: it continues to the application by itself (a refresh,
 * which starts a new navigation, so the sign-in form's `form-action 'self'` does not apply to
 * the redirect that ends at the application). The link is for browsers that ignore refreshes.
 */
export function continuePage(assets: Assets, application: string, url: string): SafeHtml {
  const body = html`<h1>Signed in</h1>
    <div class="card">
      <p>Continuing to <strong>${application}</strong>…</p>
      <p class="actions spaced"><a class="button" href="${url}">Continue</a></p>
    </div>`;
  return page({ title: 'Signed in', body, assets, narrow: true });
}

export function logoutPage(assets: Assets, p: { application: string | undefined; action: string; xsrf: string }): SafeHtml {
  const from = p.application ? html` from <strong>${p.application}</strong>` : html``;
  const body = html`<h1>Sign out?</h1>
    <div class="card">
      <p>You asked to sign out${from}.</p>
      <form method="post" action="${p.action}" class="actions spaced">
        <input type="hidden" name="xsrf" value="${p.xsrf}">
        <button type="submit" name="logout" value="yes" autofocus>Sign out of Ward and its applications</button>
        <button type="submit" class="secondary">Only this application</button>
      </form>
      <p class="hint">Signing out of Ward ends your sign-in here and at every application that uses it.</p>
    </div>`;
  return page({ title: 'Sign out?', body, assets, narrow: true });
}

export function signedOutPage(assets: Assets, application: string | undefined): SafeHtml {
  const body = html`<h1>Signed out</h1>
    <div class="card">
      <p>You are signed out${application ? html` of <strong>${application}</strong>` : html``}.</p>
      <p class="actions spaced"><a class="button" href="/ui/login">Sign in again</a></p>
    </div>`;
  return page({ title: 'Signed out', body, assets, narrow: true });
}

/** An OAuth2 error shown to the person (not sent to the application: e.g. a wrong redirect URI). */
export function protocolErrorPage(assets: Assets, status: number, error: string, description: string | undefined): SafeHtml {
  const text = description ? `${description} (${error})` : error;
  return errorPage(assets, status, `The application's sign-in request was refused: ${text}.`);
}
