/**
 * Handlers of the host view (`/v1/unix/...`): what a host's daemon needs to resolve accounts and
 * groups as POSIX identities, open to anonymous callers, and the unix password check. The check
 * is throttled and logged like a login (name and source, never the password).
 *
 * The sync routes (`/v1/unix/sync/...`) page the view and follow its change log. The long poll
 * holds the request until something changes; when the host hangs up first, its wait ends then
 * (the response's `close`), so a dead connection never keeps a waiter.
 */
import type { UnixAuthRequest, UnixAuthResponse } from '@ward/proto';
import { rateLimited, throttleKey, type Handler, type Services } from './context.js';

export function unixHandlers(s: Services): Record<string, Handler> {
  const d = s.directory;
  return {
    unix_account_list: () => d.listUnixAccounts(),
    unix_account_get: (c) => d.getUnixAccount(c.params.id!),
    unix_account_ssh_keys: (c) => d.getUnixAccount(c.params.id!).sshkeys,
    unix_account_auth: async (c): Promise<UnixAuthResponse> => {
      const ref = c.params.id!;
      const source = c.request.ip;
      const event = { event: 'unix_auth', name: ref, source };
      const key = throttleKey(ref, d.domain);
      if (s.unixThrottle.blocked(source, key)) {
        c.request.log.warn({ ...event, outcome: 'throttled' }, 'unix password check refused: too many failures');
        throw rateLimited(c, s.config.loginFailureWindow);
      }
      const account = await d.verifyUnixPassword(ref, (c.body as UnixAuthRequest).password);
      if (!account) {
        s.unixThrottle.recordFailure(source, key);
        c.request.log.info({ ...event, outcome: 'failure' }, 'unix password check failed');
        return { ok: false, account: null };
      }
      s.unixThrottle.recordSuccess(source, key);
      c.request.log.info({ ...event, outcome: 'success' }, 'unix password check succeeded');
      return { ok: true, account };
    },
    unix_group_list: () => d.listUnixGroups(),
    unix_group_get: (c) => d.getUnixGroup(c.params.id!),
    unix_sync_accounts: (c) => d.unixSyncAccounts(c.query.after, c.query.limit),
    unix_sync_groups: (c) => d.unixSyncGroups(c.query.after, c.query.limit),
    unix_sync_changes: async (c) => {
      const hangUp = new AbortController();
      const onClose = (): void => hangUp.abort();
      c.reply.raw.once('close', onClose);
      try {
        return await d.unixChanges(c.query.since!, c.query.wait, hangUp.signal);
      } finally {
        c.reply.raw.off('close', onClose);
      }
    },
  };
}
