/**
 * The extension point of the apps page (/ui/apps): where the list of applications a person may
 * use comes from. The web UI knows nothing about OAuth2 clients; the SSO part of the server
 * provides an `AppCatalog` when it registers the UI (`uiPlugin`'s `apps` option), and until then
 * the page shows its empty state.
 *
 * A catalog answers for one signed-in account and must itself apply the access rules (only the
 * applications one of the person's groups is mapped to). Its links are checked here: only
 * absolute http(s) URLs are rendered, so a badly configured landing URL cannot become a
 * `javascript:` link.
 */
import type { Actor } from '../directory/types.js';

export interface AppLink {
  /** Stable identifier (e.g. the OAuth2 client name). */
  id: string;
  displayName: string;
  /** Where the person starts using it: the application's landing URL. */
  url: string;
  /** One line under the name, optional. */
  description?: string;
}

export interface AppCatalog {
  appsFor(actor: Actor): AppLink[] | Promise<AppLink[]>;
}

/** The catalog before any application can be registered. */
export const NO_APPS: AppCatalog = { appsFor: () => [] };

/** Only absolute http(s) URLs become links. */
export function isSafeAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}
