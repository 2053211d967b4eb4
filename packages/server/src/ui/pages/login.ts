/**
 * The sign-in pages. The first asks for a name (with `autocomplete="username webauthn"`, so the
 * browser can offer passkeys in the field's autofill) and offers a username-less passkey
 * sign-in; the next ones show what the server asked for: a password, then a TOTP code or a backup
 * code, or a passkey. Every form carries the CSRF token and the `next` path; the passkey parts
 * need script (login.js), and are hidden until it finds WebAuthn available.
 */
import type { Mechanism } from '../../auth/types.js';
import type { Assets } from '../assets.js';
import { CSRF_FIELD } from '../csrf.js';
import { html, jsonData, type SafeHtml } from '../html.js';
import { page, type Notice } from '../layout.js';

export interface LoginCommon {
  assets: Assets;
  csrf: string;
  next: string;
  notice?: Notice | undefined;
}

function hiddenFields(c: LoginCommon): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${c.csrf}">
      <input type="hidden" name="next" value="${c.next}">`;
}

/** Data for login.js: where to post, with which token, and the passkey options of a step. */
function scriptData(c: LoginCommon, passkeyOptions?: unknown): SafeHtml {
  return jsonData('ward-login', { csrf: c.csrf, next: c.next, ...(passkeyOptions ? { passkeyOptions } : {}) });
}

/** The passkey button, shown by login.js only when the browser supports WebAuthn; `or` puts a separator above it. */
function passkeyArea(label: string, or: boolean): SafeHtml {
  return html`<div class="passkey-area" data-needs-webauthn hidden>
      ${or ? html`<p class="or">or</p>` : ''}
      <button type="button" class="secondary" id="passkey-button">${label}</button>
      <p class="notice error" id="passkey-error" role="alert" hidden></p>
    </div>`;
}

const SCRIPTS = ['simplewebauthn-browser.js', 'login.js'] as const;

/** Step 1: who are you? */
export function loginStartPage(c: LoginCommon & { name?: string }): SafeHtml {
  const body = html`<h1>Sign in</h1>
    <div class="card">
      <form class="stack" method="post" action="/ui/login" id="name-form">
        ${hiddenFields(c)}
        <div class="field">
          <label for="name">Name</label>
          <input type="text" id="name" name="name" value="${c.name ?? ''}" required maxlength="320"
            autocomplete="username webauthn" autocapitalize="none" autocorrect="off" spellcheck="false" autofocus>
          <span class="hint">Your account name, for example <span class="mono">alice</span> or <span class="mono">alice@domain</span>.</span>
        </div>
        <div class="actions"><button type="submit">Continue</button></div>
      </form>
      ${passkeyArea('Sign in with a passkey', true)}
    </div>
    ${scriptData(c)}`;
  return page({ title: 'Sign in', body, assets: c.assets, notice: c.notice, scripts: [...SCRIPTS], narrow: true });
}

export interface StepPage extends LoginCommon {
  name: string;
  allowed: Mechanism[];
  passkeyOptions?: unknown;
}

function whoLine(name: string): SafeHtml {
  return html`<p class="muted">Signing in as <strong>${name}</strong>. <a href="/ui/login">Not you?</a></p>`;
}

/** The form for one secret: a password, a TOTP code or a backup code. */
function secretForm(c: StepPage, kind: 'password' | 'totp' | 'backup_code'): SafeHtml {
  // Password managers pair a password with the username field of the same form.
  const username = html`<input type="text" name="username" value="${c.name}" autocomplete="username" hidden readonly>`;
  const field =
    kind === 'password'
      ? html`<label for="password">Password</label>
          <input type="password" id="password" name="password" required maxlength="1024" autocomplete="current-password" autofocus>`
      : kind === 'totp'
        ? html`<label for="totp">Code from your authenticator app</label>
          <input type="text" id="totp" name="totp" class="code" required inputmode="numeric" pattern="[0-9 ]{6,8}" maxlength="8"
            autocomplete="one-time-code" autofocus>
          <span class="hint">Six digits; a new code appears every 30 seconds.</span>`
        : html`<label for="backup_code">Backup code</label>
          <input type="text" id="backup_code" name="backup_code" class="code" required maxlength="64"
            autocomplete="off" autocapitalize="none" spellcheck="false" ${c.allowed.includes('totp') ? '' : html`autofocus`}>
          <span class="hint">One of the codes you saved when you set up your account; each works once.</span>`;
  return html`<form class="stack" method="post" action="/ui/login/step" id="${kind}-form">
      ${hiddenFields(c)}
      <input type="hidden" name="kind" value="${kind}">
      ${kind === 'password' ? username : ''}
      <div class="field">${field}</div>
      <div class="actions"><button type="submit">${kind === 'password' ? 'Sign in' : 'Verify'}</button></div>
    </form>`;
}

/** The next step(s) the server asked for. */
export function loginStepPage(c: StepPage): SafeHtml {
  const a = new Set(c.allowed);
  const parts: SafeHtml[] = [];
  let title = 'Sign in';
  if (a.has('password')) {
    parts.push(secretForm(c, 'password'));
  } else if (a.has('totp') || a.has('backup_code')) {
    title = 'Second step';
    if (a.has('totp')) parts.push(secretForm(c, 'totp'));
    if (a.has('backup_code')) {
      parts.push(
        a.has('totp')
          ? html`<details><summary>Use a backup code instead</summary>${secretForm(c, 'backup_code')}</details>`
          : secretForm(c, 'backup_code'),
      );
    }
  }
  if (a.has('passkey')) {
    const only = parts.length === 0;
    parts.push(passkeyArea(only ? 'Sign in with your passkey' : 'Use a passkey instead', !only));
    if (only) parts.push(html`<p class="muted" data-no-webauthn>Signing in to this account needs a passkey, in a browser with JavaScript.</p>`);
  }
  const body = html`<h1>${title}</h1>
    <div class="card">
      ${whoLine(c.name)}
      ${parts}
    </div>
    ${scriptData(c, a.has('passkey') ? c.passkeyOptions : undefined)}`;
  return page({ title, body, assets: c.assets, notice: c.notice, scripts: [...SCRIPTS], narrow: true });
}
