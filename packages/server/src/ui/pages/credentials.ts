/**
 * The credential update pages: the reset link's landing page (a button, so that link previewers
 * fetching the GET cannot use up the one-time token), the staged-changes page of a credential
 * update session (password, authenticator apps, passkeys, backup codes, then save all at once),
 * the TOTP enrolment page with its QR code, and the once-only display of new backup codes.
 */
import type { CuStatus, TotpEnrolment } from '../../credentials/types.js';
import type { Assets } from '../assets.js';
import { CSRF_FIELD } from '../csrf.js';
import { html, jsonData, type SafeHtml } from '../html.js';
import { page, type Notice, type PageOptions } from '../layout.js';

interface Common {
  assets: Assets;
  csrf: string;
  notice?: Notice | undefined;
  /** When the person is also signed in: the navigation bar. */
  signedIn?: PageOptions['signedIn'];
}

function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${csrf}">`;
}

function frame(c: Common, title: string, body: SafeHtml, scripts?: PageOptions['scripts']): SafeHtml {
  return page({ title, body, assets: c.assets, notice: c.notice, ...(c.signedIn ? { signedIn: c.signedIn } : {}), ...(scripts ? { scripts } : {}) });
}

function time(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16) + ' UTC';
}

/** GET /ui/reset?token=…: explain, and continue with a POST. */
export function resetLandingPage(c: Common & { token: string }): SafeHtml {
  const body = html`<h1>Set up your sign-in</h1>
    <div class="card">
      <p>An administrator gave you this link to set your password, add an authenticator app or a passkey,
        and create backup codes. The link works once.</p>
      <form method="post" action="/ui/reset" class="actions spaced">
        ${csrfField(c.csrf)}
        <input type="hidden" name="token" value="${c.token}">
        <button type="submit">Continue</button>
      </form>
    </div>`;
  return page({ title: 'Set up your sign-in', body, assets: c.assets, notice: c.notice, narrow: true });
}

/** The link did not work: used, expired or mistyped. */
export function resetInvalidPage(c: Omit<Common, 'csrf'>): SafeHtml {
  const body = html`<h1>This link does not work</h1>
    <div class="card">
      <p>The link has been used already, has expired, or was copied incompletely.</p>
      <p>Ask your administrator for a new one, or <a href="/ui/login">sign in</a> if you have set up your account.</p>
    </div>`;
  return page({ title: 'Link not valid', body, assets: c.assets, notice: c.notice, narrow: true });
}

function policyLine(cu: CuStatus): string {
  const min = cu.policy.credentialTypeMinimum;
  const what =
    min === 'passkey' ? 'Your groups require a passkey.'
    : min === 'mfa' ? 'Your groups require a second factor: an authenticator app with your password, or a passkey.'
    : 'A password alone is enough for your groups; a passkey or an authenticator app makes your account safer.';
  return `${what} Passwords need at least ${cu.policy.passwordMinimumLength} characters.`;
}

function passwordSection(cu: CuStatus, csrf: string): SafeHtml {
  return html`<section class="card" aria-labelledby="pw-h" id="password">
      <h2 id="pw-h">Password</h2>
      <p>${cu.password ? html`<span class="status-yes">Set</span>` : html`<span class="status-no">Not set</span>`}</p>
      <form method="post" action="/ui/credentials/password" class="stack" id="password-form">
        ${csrfField(csrf)}
        <input type="text" name="username" value="${cu.account.spn}" autocomplete="username" hidden readonly>
        <div class="field">
          <label for="new-password">New password</label>
          <input type="password" id="new-password" name="password" required minlength="${cu.policy.passwordMinimumLength}" maxlength="1024"
            autocomplete="new-password" aria-describedby="pw-hint">
          <span class="hint" id="pw-hint">At least ${cu.policy.passwordMinimumLength} characters. A few unrelated words make a good one;
            common passwords and ones containing your name are refused.</span>
        </div>
        <div class="field">
          <label for="confirm-password">Repeat the new password</label>
          <input type="password" id="confirm-password" name="confirm" required maxlength="1024" autocomplete="new-password">
        </div>
        <div class="actions"><button type="submit">${cu.password ? 'Change password' : 'Set password'}</button></div>
      </form>
    </section>`;
}

function removeButton(action: string, csrf: string, field: string, value: string, what: string): SafeHtml {
  return html`<form method="post" action="${action}">
      ${csrfField(csrf)}
      <input type="hidden" name="${field}" value="${value}">
      <button type="submit" class="danger" aria-label="Remove ${what}">Remove</button>
    </form>`;
}

function totpSection(cu: CuStatus, csrf: string): SafeHtml {
  return html`<section class="card" aria-labelledby="totp-h" id="totp">
      <h2 id="totp-h">Authenticator app</h2>
      ${cu.totp.length
        ? html`<ul class="plain items">${cu.totp.map(
            (t) => html`<li><span class="item-main">${t.label}</span>${removeButton('/ui/credentials/totp/remove', csrf, 'label', t.label, `the authenticator ${t.label}`)}</li>`,
          )}</ul>`
        : html`<p class="muted">None. An app such as FreeOTP, Aegis or Google Authenticator gives you a code to type after your password.</p>`}
      <form method="post" action="/ui/credentials/totp/init" class="actions spaced">
        ${csrfField(csrf)}
        <button type="submit" class="secondary">Add an authenticator app</button>
      </form>
    </section>`;
}

function passkeySection(cu: CuStatus, csrf: string): SafeHtml {
  return html`<section class="card" aria-labelledby="pk-h" id="passkeys">
      <h2 id="pk-h">Passkeys</h2>
      ${cu.passkeys.length
        ? html`<ul class="plain items">${cu.passkeys.map(
            (k) => html`<li><span class="item-main">${k.name} <span class="muted">(added ${new Date(k.createdAt).toISOString().slice(0, 10)})</span></span>
              ${removeButton('/ui/credentials/passkey/remove', csrf, 'id', k.id, `the passkey ${k.name}`)}</li>`,
          )}</ul>`
        : html`<p class="muted">None. A passkey lets you sign in with your face, fingerprint or device PIN, without a password.</p>`}
      <form class="stack spaced" id="passkey-form" data-needs-webauthn hidden>
        <div class="field">
          <label for="passkey-name">Name of the new passkey</label>
          <input type="text" id="passkey-name" name="name" required maxlength="64" value="" placeholder="for example: laptop, phone"
            autocomplete="off">
        </div>
        <div class="actions"><button type="submit" class="secondary" id="passkey-add">Add a passkey</button></div>
        <p class="notice error" id="passkey-error" role="alert" hidden></p>
      </form>
      <p class="muted" data-no-webauthn>Adding a passkey needs a browser with WebAuthn and JavaScript.</p>
    </section>`;
}

function backupSection(cu: CuStatus, csrf: string): SafeHtml {
  return html`<section class="card" aria-labelledby="bc-h" id="backup">
      <h2 id="bc-h">Backup codes</h2>
      <p>${cu.backupCodesRemaining
        ? `${cu.backupCodesRemaining} unused codes.`
        : html`<span class="status-no">None.</span>`}
        Each code replaces your authenticator app once, if you lose it.</p>
      <form method="post" action="/ui/credentials/backup-codes" class="actions">
        ${csrfField(csrf)}
        <button type="submit" class="secondary">${cu.backupCodesRemaining ? 'Replace with new codes' : 'Create backup codes'}</button>
      </form>
    </section>`;
}

function saveSection(cu: CuStatus, csrf: string): SafeHtml {
  return html`<section class="card" aria-labelledby="save-h" id="save">
      <h2 id="save-h">Save</h2>
      ${cu.problems.length
        ? html`<div class="notice error" role="status"><p>Before saving:</p><ul>${cu.problems.map((p) => html`<li>${p}</li>`)}</ul></div>`
        : html`<p>Nothing is changed until you save. Saving applies everything above at once.</p>`}
      <div class="actions">
        <form method="post" action="/ui/credentials/commit">
          ${csrfField(csrf)}
          <button type="submit" id="commit" ${cu.canCommit ? '' : html`disabled`}>Save all changes</button>
        </form>
        <form method="post" action="/ui/credentials/cancel">
          ${csrfField(csrf)}
          <button type="submit" class="secondary">Cancel</button>
        </form>
      </div>
    </section>`;
}

/** The staged state of a credential update session, and a form for each change. */
export function credentialsPage(c: Common & { cu: CuStatus }): SafeHtml {
  const cu = c.cu;
  const body = html`<h1>Credentials of ${cu.account.displayname}</h1>
    <p class="muted">Sign-in name <span class="mono">${cu.account.spn}</span>. ${policyLine(cu)}
      This page stays open until ${time(cu.expiresAt)}.</p>
    ${passwordSection(cu, c.csrf)}
    ${totpSection(cu, c.csrf)}
    ${passkeySection(cu, c.csrf)}
    ${backupSection(cu, c.csrf)}
    ${saveSection(cu, c.csrf)}
    ${jsonData('ward-cu', { csrf: c.csrf })}`;
  return frame(c, 'Credentials', body, ['simplewebauthn-browser.js', 'credentials.js']);
}

/** Base32 in groups of four, easier to type. */
function grouped(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

/** Scan the QR code (or type the key), then confirm with a code. */
export function totpEnrolPage(c: Common & { enrolment: TotpEnrolment; label: string }): SafeHtml {
  const qr = `data:image/svg+xml;base64,${Buffer.from(c.enrolment.qrSvg, 'utf8').toString('base64')}`;
  const body = html`<h1>Add an authenticator app</h1>
    <div class="card">
      <ol>
        <li>In your authenticator app, add an account and scan this code:
          <img class="qr" src="${qr}" alt="QR code to add this account to an authenticator app" width="256" height="256"></li>
        <li>Or type this key instead: <span class="mono" id="totp-secret">${grouped(c.enrolment.secret)}</span>
          <span class="hint">(time-based, 6 digits, every 30 seconds)</span></li>
        <li>Then type the code the app shows.</li>
      </ol>
      <form method="post" action="/ui/credentials/totp/verify" class="stack">
        ${csrfField(c.csrf)}
        <div class="field">
          <label for="totp-label">Name of this authenticator</label>
          <input type="text" id="totp-label" name="label" value="${c.label}" required maxlength="64" autocomplete="off">
        </div>
        <div class="field">
          <label for="totp-code">Code from the app</label>
          <input type="text" id="totp-code" name="code" class="code" required inputmode="numeric" pattern="[0-9 ]{6,8}" maxlength="8"
            autocomplete="one-time-code" autofocus>
        </div>
        <div class="actions">
          <button type="submit">Verify</button>
          <a class="button secondary" href="/ui/credentials">Back</a>
        </div>
      </form>
    </div>`;
  return frame(c, 'Add an authenticator app', body);
}

/** New backup codes, shown this once. */
export function backupCodesPage(c: Common & { codes: string[] }): SafeHtml {
  const body = html`<h1>Your backup codes</h1>
    <div class="card">
      <p><strong>Save these codes now</strong> (print them or keep them in your password manager). They are shown only
        this once, and take effect when you save your changes.</p>
      <ul class="codes" aria-label="Backup codes">${c.codes.map((code) => html`<li>${code}</li>`)}</ul>
      <p class="actions spaced"><a class="button" href="/ui/credentials#backup">I have saved them</a></p>
    </div>`;
  return frame(c, 'Backup codes', body);
}
