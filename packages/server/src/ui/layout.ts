/**
 * The frame of every page: the document head (viewport, style sheet, scripts as files), a skip
 * link, the top bar (navigation and the sign-out form when signed in) and the notice area. Also
 * the fixed notices that travel in a redirect's query (`?notice=signed_out`): only known keys are
 * shown, with texts from this table, so a URL cannot put words on the page.
 */
import type { FastifyReply } from 'fastify';
import type { AssetName, Assets } from './assets.js';
import { CSRF_FIELD } from './csrf.js';
import { html, type SafeHtml } from './html.js';

export interface Notice {
  kind: 'error' | 'ok';
  text: string;
}

export const NOTICES = {
  signed_out: { kind: 'ok', text: 'You are signed out.' },
  session_ended: { kind: 'error', text: 'Your session has ended. Sign in again.' },
  reauth: { kind: 'error', text: 'To change your credentials, confirm it is you: sign in again.' },
  sso_reauth: { kind: 'error', text: 'The application asks you to confirm it is you: sign in again.' },
  committed: { kind: 'ok', text: 'Your credentials are saved. Sign in with them now.' },
  credentials_saved: { kind: 'ok', text: 'Your credentials are saved.' },
  cancelled: { kind: 'ok', text: 'Nothing was changed.' },
  ssh_added: { kind: 'ok', text: 'The SSH key was added.' },
  ssh_renamed: { kind: 'ok', text: 'The SSH key was renamed.' },
  ssh_removed: { kind: 'ok', text: 'The SSH key was removed.' },
  cu_expired: { kind: 'error', text: 'That credential update has ended or expired; nothing was saved. Start again.' },
  password_staged: { kind: 'ok', text: 'The new password is ready. Save all changes to apply it.' },
  totp_staged: { kind: 'ok', text: 'The authenticator app is ready. Save all changes to apply it.' },
  totp_removed: { kind: 'ok', text: 'The authenticator app will be removed when you save.' },
  passkey_added: { kind: 'ok', text: 'The passkey is ready. Save all changes to apply it.' },
  passkey_removed: { kind: 'ok', text: 'The passkey will be removed when you save.' },
} as const satisfies Record<string, Notice>;

export type NoticeKey = keyof typeof NOTICES;

/** The notice a `notice` query parameter names, if it is one of ours. */
export function noticeFromQuery(query: unknown): Notice | undefined {
  const key = (query as Record<string, unknown> | undefined)?.notice;
  return typeof key === 'string' && Object.hasOwn(NOTICES, key) ? NOTICES[key as NoticeKey] : undefined;
}

export type NavItem = 'apps' | 'profile';

export interface PageOptions {
  title: string;
  body: SafeHtml;
  assets: Assets;
  /** Signed in: the navigation and the sign-out form (with the session's CSRF token). */
  signedIn?: { name: string; csrf: string; current?: NavItem };
  notice?: Notice | undefined;
  /** Page scripts, loaded as files (the CSP forbids inline script). */
  scripts?: AssetName[];
  /** A narrow column (sign-in and similar forms). */
  narrow?: boolean;
}

export function noticeBlock(notice: Notice | undefined): SafeHtml {
  if (!notice) return html``;
  return notice.kind === 'error'
    ? html`<div class="notice error" role="alert">${notice.text}</div>`
    : html`<div class="notice ok" role="status">${notice.text}</div>`;
}

function nav(signedIn: NonNullable<PageOptions['signedIn']>): SafeHtml {
  const link = (item: NavItem, href: string, text: string) =>
    signedIn.current === item ? html`<a href="${href}" aria-current="page">${text}</a>` : html`<a href="${href}">${text}</a>`;
  return html`<nav aria-label="Main">
      ${link('apps', '/ui/apps', 'Applications')}
      ${link('profile', '/ui/profile', 'Profile')}
      <form method="post" action="/ui/logout">
        <input type="hidden" name="${CSRF_FIELD}" value="${signedIn.csrf}">
        <button type="submit" class="secondary">Sign out</button>
      </form>
    </nav>`;
}

export function page(opts: PageOptions): SafeHtml {
  const scripts = (opts.scripts ?? []).map((name) =>
    name === 'simplewebauthn-browser.js'
      ? html`<script src="${opts.assets.url(name)}" defer></script>`
      : html`<script type="module" src="${opts.assets.url(name)}"></script>`,
  );
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${opts.title} · Ward</title>
<link rel="icon" href="${opts.assets.url('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${opts.assets.url('ward.css')}">
${scripts}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">Ward</a>
  ${opts.signedIn ? nav(opts.signedIn) : ''}
</header>
<main id="main" class="${opts.narrow ? 'narrow' : ''}">
${noticeBlock(opts.notice)}
${opts.body}
</main>
</body>
</html>
`;
}

/** A WardError message (lower case, no full stop) as a sentence on a page. */
export function sentence(message: string): string {
  const t = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/** Answer with a page. */
export function sendPage(reply: FastifyReply, status: number, markup: SafeHtml): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(markup.value);
}
