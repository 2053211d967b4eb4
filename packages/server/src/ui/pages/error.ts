/**
 * The page shown when a UI request fails as a whole (a refused CSRF token, a malformed form, a
 * page that does not exist, a server error): what happened, in words, and a way back.
 */
import type { Assets } from '../assets.js';
import { html, type SafeHtml } from '../html.js';
import { page } from '../layout.js';

const TITLES: Record<number, string> = {
  400: 'That did not work',
  401: 'Sign in first',
  403: 'Not allowed',
  404: 'Page not found',
  409: 'That did not work',
  413: 'Too much data',
  415: 'That did not work',
  429: 'Too many attempts',
};

export function errorPage(assets: Assets, status: number, message: string): SafeHtml {
  const title = TITLES[status] ?? (status >= 500 ? 'Something went wrong' : 'That did not work');
  const body = html`<h1>${title}</h1>
    <div class="card">
      <p>${message}</p>
      <p class="actions spaced"><a class="button" href="/">Go to the start page</a></p>
    </div>`;
  return page({ title, body, assets, narrow: true });
}
