/**
 * What PAM_SESSION does beyond the account lookup: ask ward-unixd-tasks, the root helper, to
 * create the user's home directory (HOME_CREATE on `tasks_socket`, with the paths homeOf()
 * derives, the same ones the passwd entry shows). ward-unixd itself cannot: it runs without
 * privileges and must not be able to chown.
 *
 * A session whose home cannot be made fails (the PAM module turns every answer but OK into
 * PAM_SESSION_ERR), because a login that lands in `/` with no home is worse than a clear refusal:
 *
 *   tasks daemon answers   PAM_SESSION answer   who sees the reason
 *   OK (created / found)   OK                   the logs (created only)
 *   DENIED                 DENIED               the user (the PAM module shows DENIED messages):
 *                                               something that is not theirs holds the path
 *   anything else          ERROR                the logs of both daemons and the PAM module:
 *                                               a configuration or system fault for the admin
 *   not running, refused   ERROR                the logs, which name the socket and the cause
 *   connection, no answer
 *
 * The wait is bounded by TASKS_TIMEOUT_MS, well inside the PAM module's 3 s deadline for a
 * session (PW_TIMEOUT_SLOW_MS in pam/pam_ward.h), so ward-unixd always answers first and the
 * log says what happened. A home still being copied when the wait ends is finished by the tasks
 * daemon anyway (it works one request at a time); the next login finds it.
 */
import { STATUS, statusName } from '@ward/proto';
import { callSocket } from '@ward/proto/node';
import type { UnixdConfig } from '../config/keys.js';
import { homeOf, type RenderConfig } from '../resolver/render.js';
import type { PamReply, SessionOpener } from './pam.js';

export const TASKS_TIMEOUT_MS = 2000;
/** HOME_CREATE answers one line; anything longer is not the tasks daemon. */
const TASKS_RESPONSE_MAX = 64 * 1024;

/** Why the tasks socket could not be asked, in words an administrator can act on. */
function unreachable(socket: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED') return `ward-unixd-tasks is not running (nothing listens on ${socket})`;
  if (code === 'EACCES' || code === 'EPERM') {
    return `permission denied on ${socket}: the tasks socket belongs to the owner of its directory, which must be ward-unixd's user`;
  }
  return `cannot ask ward-unixd-tasks on ${socket}: ${(e as Error).message}`;
}

export function homeDirectoryOpener(cfg: RenderConfig & Pick<UnixdConfig, 'tasks_socket'>): SessionOpener {
  return async (a): Promise<PamReply> => {
    const home = homeOf(a, cfg);
    const request = { name: a.spn, uid: a.uidnumber, gid: a.gidnumber, dir: home.real, aliases: home.aliases };
    let res;
    try {
      res = await callSocket(cfg.tasks_socket, 'HOME_CREATE', request, { timeoutMs: TASKS_TIMEOUT_MS, maxResponse: TASKS_RESPONSE_MAX });
    } catch (e) {
      return { status: 'ERROR', message: `home directory ${home.dir} not created: ${unreachable(cfg.tasks_socket, e)}` };
    }
    if (res.status === STATUS.OK) return { status: 'OK', message: String(res.msg['message'] ?? '') };
    if (res.status === STATUS.DENIED) {
      return { status: 'DENIED', message: `your home directory ${home.dir} cannot be created: ${res.message}; ask an administrator` };
    }
    const status = statusName(res.status) ?? `status ${res.status}`;
    return { status: 'ERROR', message: `home directory ${home.dir} not created: ward-unixd-tasks answered ${status}: ${res.message}` };
  };
}
