/**
 * The consent page, for the single sign-on part of the server (OAuth2 / OpenID Connect): an
 * application asks for access, the signed-in person sees what it will receive and allows or
 * denies. The page only renders; the SSO routes own the form's action, check its CSRF token
 * (ui.csrf with the person's session, as every signed-in form) and record the answer.
 *
 * The form posts `decision=allow` or `decision=deny`, the CSRF token, and the hidden fields given.
 */
import type { Assets } from '../assets.js';
import { CSRF_FIELD } from '../csrf.js';
import { html, type SafeHtml } from '../html.js';
import { page, type Notice } from '../layout.js';

export interface ConsentPage {
  assets: Assets;
  signedIn: { name: string; csrf: string };
  application: { displayName: string; /** The host the person returns to, shown so they know where data goes. */ host: string };
  /** What the application will receive, one line each (e.g. "Your name and sign-in name"). */
  scopes: { name: string; description: string }[];
  /** Where the form posts (an SSO route on this server). */
  action: string;
  hidden?: Record<string, string>;
  notice?: Notice | undefined;
}

export function consentPage(p: ConsentPage): SafeHtml {
  const hidden = Object.entries(p.hidden ?? {}).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`);
  const body = html`<h1>Allow ${p.application.displayName}?</h1>
    <div class="card">
      <p><strong>${p.application.displayName}</strong> <span class="muted">(${p.application.host})</span> asks to use your account
        <strong>${p.signedIn.name}</strong>. It will receive:</p>
      <ul>${p.scopes.map((s) => html`<li>${s.description} <span class="muted mono">(${s.name})</span></li>`)}</ul>
      <form method="post" action="${p.action}" class="actions spaced">
        <input type="hidden" name="${CSRF_FIELD}" value="${p.signedIn.csrf}">
        ${hidden}
        <button type="submit" name="decision" value="allow">Allow</button>
        <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
      </form>
      <p class="hint">Your answer is remembered; you are asked again when the application asks for more.</p>
    </div>`;
  return page({ title: `Allow ${p.application.displayName}?`, body, assets: p.assets, notice: p.notice, signedIn: { ...p.signedIn }, narrow: true });
}
