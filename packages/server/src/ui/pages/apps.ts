/**
 * The apps page: the applications the signed-in person may use, as links to their landing URLs,
 * from the AppCatalog the server registered (apps.ts); an empty state until there is one.
 */
import type { AppLink } from '../apps.js';
import { isSafeAppUrl } from '../apps.js';
import type { Assets } from '../assets.js';
import { html, type SafeHtml } from '../html.js';
import { page, type Notice } from '../layout.js';

export interface AppsPage {
  assets: Assets;
  signedIn: { name: string; displayname: string; csrf: string };
  apps: AppLink[];
  notice?: Notice | undefined;
}

export function appsPage(p: AppsPage): SafeHtml {
  const apps = p.apps.filter((a) => isSafeAppUrl(a.url));
  const list = apps.length
    ? html`<ul class="apps plain">${apps.map(
        (a) => html`<li><a href="${a.url}" rel="noopener"><strong>${a.displayName}</strong>
          <span class="muted">${a.description ?? new URL(a.url).host}</span></a></li>`,
      )}</ul>`
    : html`<div class="card empty">
        <h2>No applications yet</h2>
        <p class="muted">When an administrator connects an application and gives one of your groups access to it,
          it appears here and you can sign in to it with this account.</p>
        <p><a href="/ui/profile">Your profile, credentials and SSH keys</a></p>
      </div>`;
  const body = html`<h1>Applications</h1>
    <p class="muted">Signed in as <strong>${p.signedIn.displayname}</strong> (${p.signedIn.name}).</p>
    ${list}`;
  return page({
    title: 'Applications',
    body,
    assets: p.assets,
    notice: p.notice,
    signedIn: { name: p.signedIn.name, csrf: p.signedIn.csrf, current: 'apps' },
  });
}
