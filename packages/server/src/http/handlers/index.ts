/**
 * The route-name -> handler table. Its keys must be exactly the keys of proto's ROUTES: the app
 * refuses to start otherwise, so a route cannot exist without a handler or the other way round.
 */
import { accountHandlers, apiTokenHandlers } from './accounts.js';
import type { Handler, Services } from './context.js';
import { credentialHandlers } from './credentials.js';
import { groupHandlers } from './groups.js';
import { oauth2Handlers } from './oauth2.js';
import { sessionHandlers } from './session.js';
import { unixHandlers } from './unix.js';

export type { Call, Handler, Services } from './context.js';
export { makeCall } from './context.js';

export function buildHandlers(s: Services): Record<string, Handler> {
  return {
    ...sessionHandlers(s),
    ...accountHandlers(s, 'person'),
    ...accountHandlers(s, 'service_account'),
    ...apiTokenHandlers(s),
    ...groupHandlers(s),
    ...credentialHandlers(s),
    ...oauth2Handlers(s),
    ...unixHandlers(s),
  };
}
