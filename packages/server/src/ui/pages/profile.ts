/**
 * The profile page: the signed-in person's details and groups, a summary of their credentials
 * (names and counts only, never a secret) with the way to change them, and their SSH keys, which
 * they add, rename and remove themselves.
 */
import type { Account, SshKey } from '@ward/proto';
import type { Assets } from '../assets.js';
import { CSRF_FIELD } from '../csrf.js';
import { html, type SafeHtml } from '../html.js';
import { page, type Notice } from '../layout.js';

export interface CredentialSummary {
  password: boolean;
  totp: string[];
  passkeys: { name: string; createdAt: number; lastUsedAt: number | null }[];
  backupCodes: number;
  /** The strictest policy of the person's groups, in words. */
  policy: string;
}

export interface SshForm {
  tag: string;
  key: string;
}

export interface ProfilePage {
  assets: Assets;
  csrf: string;
  account: Account;
  credentials: CredentialSummary | null;
  sshKeys: SshKey[];
  /** The add form as sent, when it is shown again with an error. */
  sshForm?: SshForm;
  notice?: Notice | undefined;
}

function date(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${csrf}">`;
}

function details(a: Account): SafeHtml {
  const posix = a.posix
    ? html`<dt>Unix account</dt><dd>uid ${a.posix.uidnumber}, gid ${a.posix.gidnumber}, shell <span class="mono">${a.posix.shell}</span></dd>`
    : '';
  return html`<section class="card" aria-labelledby="details-h">
      <h2 id="details-h">Details</h2>
      <dl class="details">
        <dt>Name</dt><dd>${a.name}</dd>
        <dt>Display name</dt><dd>${a.displayname}</dd>
        <dt>Sign-in name</dt><dd class="mono">${a.spn}</dd>
        <dt>Email</dt><dd>${a.mail.length ? a.mail.join(', ') : html`<span class="muted">none</span>`}</dd>
        ${posix}
        ${a.expire_at ? html`<dt>Account expires</dt><dd>${a.expire_at}</dd>` : ''}
      </dl>
    </section>`;
}

function groups(a: Account): SafeHtml {
  const names = [...a.memberof].sort();
  return html`<section class="card" aria-labelledby="groups-h">
      <h2 id="groups-h">Groups</h2>
      ${names.length
        ? html`<ul class="tags plain">${names.map((g) => html`<li class="tag">${g}</li>`)}</ul>`
        : html`<p class="muted">You are in no groups.</p>`}
    </section>`;
}

function yesNo(on: boolean, yes: string, no: string): SafeHtml {
  return on ? html`<span class="status-yes">${yes}</span>` : html`<span class="status-no">${no}</span>`;
}

function credentials(p: ProfilePage): SafeHtml {
  const c = p.credentials;
  const summary = c
    ? html`<dl class="details">
        <dt>Password</dt><dd>${yesNo(c.password, 'set', 'not set')}</dd>
        <dt>Authenticator app</dt><dd>${c.totp.length ? html`<span class="status-yes">${c.totp.join(', ')}</span>` : yesNo(false, '', 'none')}</dd>
        <dt>Passkeys</dt><dd>${c.passkeys.length
          ? html`<ul class="plain">${c.passkeys.map(
              (k) => html`<li>${k.name} <span class="muted">(added ${date(k.createdAt)}${k.lastUsedAt ? `, last used ${date(k.lastUsedAt)}` : ''})</span></li>`,
            )}</ul>`
          : yesNo(false, '', 'none')}</dd>
        <dt>Backup codes</dt><dd>${c.backupCodes ? `${c.backupCodes} left` : yesNo(false, '', 'none')}</dd>
        <dt>Policy</dt><dd>${c.policy}</dd>
      </dl>`
    : html`<p class="muted">This account signs in with a password only.</p>`;
  return html`<section class="card" aria-labelledby="cred-h" id="credentials">
      <h2 id="cred-h">Credentials</h2>
      ${summary}
      ${c
        ? html`<form method="post" action="/ui/credentials/start" class="actions spaced">
            ${csrfField(p.csrf)}
            <button type="submit">Change credentials</button>
          </form>`
        : ''}
    </section>`;
}

function sshKeyItem(k: SshKey, csrf: string): SafeHtml {
  return html`<li>
      <div class="item-main">
        <strong>${k.tag}</strong> <span class="muted">${k.type}, ${k.bits} bits${k.comment ? html`, ${k.comment}` : ''}</span>
        <span class="mono">${k.fingerprint}</span>
      </div>
      <div class="actions">
        <details>
          <summary>Rename</summary>
          <form method="post" action="/ui/profile/ssh/rename" class="stack">
            ${csrfField(csrf)}
            <input type="hidden" name="tag" value="${k.tag}">
            <div class="field">
              <label for="rename-${k.tag}">New name for ${k.tag}</label>
              <input type="text" id="rename-${k.tag}" name="new_tag" required maxlength="64" pattern="[a-zA-Z0-9][a-zA-Z0-9_.@\\-]*"
                autocomplete="off" autocapitalize="none" spellcheck="false">
            </div>
            <div class="actions"><button type="submit" class="secondary">Rename</button></div>
          </form>
        </details>
        <form method="post" action="/ui/profile/ssh/delete">
          ${csrfField(csrf)}
          <input type="hidden" name="tag" value="${k.tag}">
          <button type="submit" class="danger" aria-label="Remove the SSH key ${k.tag}">Remove</button>
        </form>
      </div>
    </li>`;
}

function sshKeys(p: ProfilePage): SafeHtml {
  const f = p.sshForm ?? { tag: '', key: '' };
  return html`<section class="card" aria-labelledby="ssh-h" id="ssh">
      <h2 id="ssh-h">SSH keys</h2>
      ${p.sshKeys.length
        ? html`<ul class="plain items" aria-label="Your SSH keys">${p.sshKeys.map((k) => sshKeyItem(k, p.csrf))}</ul>`
        : html`<p class="muted">No SSH keys yet. Hosts connected to this directory accept the keys you add here for your account.</p>`}
      <h3>Add a key</h3>
      <form method="post" action="/ui/profile/ssh" class="stack" id="ssh-add">
        ${csrfField(p.csrf)}
        <div class="field">
          <label for="ssh-tag">Name</label>
          <input type="text" id="ssh-tag" name="tag" value="${f.tag}" required maxlength="64" pattern="[a-zA-Z0-9][a-zA-Z0-9_.@\\-]*"
            autocomplete="off" autocapitalize="none" spellcheck="false">
          <span class="hint">A short name for this key, such as <span class="mono">laptop</span>: letters, digits, <span class="mono">_ . @ -</span>.</span>
        </div>
        <div class="field">
          <label for="ssh-key">Public key</label>
          <textarea id="ssh-key" name="key" required rows="4" autocomplete="off" spellcheck="false"
            placeholder="ssh-ed25519 AAAA... you@laptop">${f.key}</textarea>
          <span class="hint">One line from your <span class="mono">~/.ssh/id_ed25519.pub</span> (or another <span class="mono">.pub</span> file). Never the private key.</span>
        </div>
        <div class="actions"><button type="submit">Add key</button></div>
      </form>
    </section>`;
}

export function profilePage(p: ProfilePage): SafeHtml {
  const body = html`<h1>${p.account.displayname}</h1>
    ${details(p.account)}
    ${groups(p.account)}
    ${credentials(p)}
    ${sshKeys(p)}`;
  return page({
    title: 'Profile',
    body,
    assets: p.assets,
    notice: p.notice,
    signedIn: { name: p.account.name, csrf: p.csrf, current: 'profile' },
  });
}
