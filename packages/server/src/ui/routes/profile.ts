/**
 * The signed-in pages: the apps page, the profile, and the profile's SSH key forms. SSH keys go
 * through the directory's own addSshKey / deleteSshKey with the person's Actor, so they are
 * validated and access-checked exactly as `ward person ssh add-publickey` is (self-service of
 * one's own keys is allowed by the directory's rules; nobody else's is reachable from here).
 *
 * Paths are relative to the `/ui` prefix this scope is registered under.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SSH_KEY_MAX_LENGTH, SSH_TAG_RE, WardError, type SshKey } from '@ward/proto';
import type { AccountKind, EffectivePolicy } from '../../directory/types.js';
import { COOKIE, readCookie } from '../cookies.js';
import { CSRF_FIELD } from '../csrf.js';
import { formOf, type Form } from '../forms.js';
import { noticeFromQuery, sendPage, sentence, type Notice } from '../layout.js';
import { appsPage } from '../pages/apps.js';
import { profilePage, type CredentialSummary, type SshForm } from '../pages/profile.js';
import { assertSameOrigin } from '../security.js';
import { checkSessionCsrf, currentSession, endWebSession, loginUrl, type UiContext, type WebSession } from '../session.js';

/**
 * The session of a signed-in page, or a redirect to the sign-in page that comes back here. A
 * cookie that no longer verifies (expired, revoked) is removed and the person told why.
 */
export async function requireSession(ui: UiContext, request: FastifyRequest, reply: FastifyReply, back: string): Promise<WebSession | undefined> {
  const session = await currentSession(ui, request);
  if (session) return session;
  const hadCookie = readCookie(request, COOKIE.session) !== undefined;
  if (hadCookie) endWebSession(reply);
  void reply.redirect(loginUrl(back, hadCookie ? 'session_ended' : undefined), 303);
  return undefined;
}

/** A signed-in form post: same origin, a session, and its CSRF token. */
async function postedBySession(ui: UiContext, request: FastifyRequest, reply: FastifyReply): Promise<{ session: WebSession; form: Form } | undefined> {
  const form = formOf(request.body);
  assertSameOrigin(request, ui.origin);
  const session = await requireSession(ui, request, reply, '/ui/profile');
  if (!session) return undefined;
  checkSessionCsrf(ui, session, form.optional(CSRF_FIELD, 64));
  return { session, form };
}

const POLICY_WORDS: Record<EffectivePolicy['credentialTypeMinimum'], string> = {
  any: 'A password alone is enough',
  mfa: 'Your groups require a second factor: an authenticator app with your password, or a passkey',
  passkey: 'Your groups require a passkey',
};

/** Names and counts of the person's credentials: never a hash, seed or public key. */
function credentialSummary(ui: UiContext, uuid: string, kind: AccountKind): CredentialSummary | null {
  if (kind !== 'person') return null;
  const store = ui.services.directory.credentialStore;
  const c = store.credentials(uuid);
  const policy = store.effectivePolicy(uuid);
  return {
    password: c.passwordHash !== undefined,
    totp: c.totp.map((t) => t.label),
    passkeys: c.passkeys.map((k) => ({ name: k.name, createdAt: k.createdAt, lastUsedAt: k.lastUsedAt })),
    backupCodes: c.backupCodeHashes.length,
    policy: `${POLICY_WORDS[policy.credentialTypeMinimum]}; passwords need at least ${policy.passwordMinimumLength} characters.`,
  };
}

function renderProfile(
  ui: UiContext,
  reply: FastifyReply,
  session: WebSession,
  status: number,
  extra: { notice?: Notice | undefined; sshForm?: SshForm } = {},
): FastifyReply {
  const d = ui.services.directory;
  const kind = session.actor.kind as AccountKind;
  const account = d.getAccount(session.actor, kind, session.actor.uuid);
  return sendPage(
    reply,
    status,
    profilePage({
      assets: ui.assets,
      csrf: session.csrf,
      account,
      credentials: credentialSummary(ui, account.uuid, kind),
      sshKeys: d.listSshKeys(session.actor, kind, account.uuid),
      ...extra,
    }),
  );
}

/** Run a change; a refusal the person can fix (4xx) shows the profile again with the reason. */
async function attempt(
  ui: UiContext,
  reply: FastifyReply,
  session: WebSession,
  change: () => void,
  done: string,
  sshForm?: SshForm,
): Promise<FastifyReply> {
  try {
    change();
  } catch (e) {
    if (e instanceof WardError && e.status < 500) {
      return renderProfile(ui, reply, session, e.status, { notice: { kind: 'error', text: sentence(e.message) }, ...(sshForm ? { sshForm } : {}) });
    }
    throw e;
  }
  return reply.redirect(`/ui/profile?notice=${done}#ssh`, 303);
}

/** Rename = remove and add again under the new tag, putting the old one back if the add fails. */
function renameSshKey(ui: UiContext, session: WebSession, tag: string, newTag: string): void {
  const d = ui.services.directory;
  const kind = session.actor.kind as AccountKind;
  const uuid = session.actor.uuid;
  if (!SSH_TAG_RE.test(newTag)) {
    throw new WardError('invalid_attribute', `the name "${newTag}" is not valid: use letters, digits and _ . @ - (up to 64, starting with a letter or digit)`);
  }
  const keys = d.listSshKeys(session.actor, kind, uuid);
  const key: SshKey | undefined = keys.find((k) => k.tag === tag);
  if (!key) throw new WardError('not_found', `you have no SSH key named "${tag}"`);
  if (newTag === tag) return;
  if (keys.some((k) => k.tag === newTag)) throw new WardError('duplicate_ssh_key', `you already have an SSH key named "${newTag}"`);
  d.deleteSshKey(session.actor, kind, uuid, tag);
  try {
    d.addSshKey(session.actor, kind, uuid, newTag, key.key);
  } catch (e) {
    d.addSshKey(session.actor, kind, uuid, tag, key.key);
    throw e;
  }
}

export function profileRoutes(scope: FastifyInstance, ui: UiContext): void {
  scope.get('/apps', async (request, reply) => {
    const session = await requireSession(ui, request, reply, '/ui/apps');
    if (!session) return reply;
    const account = ui.services.directory.getAccount(session.actor, session.actor.kind as AccountKind, session.actor.uuid);
    const apps = await ui.apps.appsFor(session.actor);
    return sendPage(
      reply,
      200,
      appsPage({
        assets: ui.assets,
        signedIn: { name: account.name, displayname: account.displayname, csrf: session.csrf },
        apps,
        notice: noticeFromQuery(request.query),
      }),
    );
  });

  scope.get('/profile', async (request, reply) => {
    const session = await requireSession(ui, request, reply, '/ui/profile');
    if (!session) return reply;
    return renderProfile(ui, reply, session, 200, { notice: noticeFromQuery(request.query) });
  });

  scope.post('/profile/ssh', async (request, reply) => {
    const posted = await postedBySession(ui, request, reply);
    if (!posted) return reply;
    const { session, form } = posted;
    const sshForm = { tag: form.required('tag', 64).trim(), key: form.required('key', SSH_KEY_MAX_LENGTH).trim() };
    return attempt(ui, reply, session, () => {
      if (!sshForm.tag) throw new WardError('invalid_attribute', 'give the key a name');
      if (!sshForm.key) throw new WardError('invalid_ssh_key', 'paste the public key');
      ui.services.directory.addSshKey(session.actor, session.actor.kind as AccountKind, session.actor.uuid, sshForm.tag, sshForm.key);
    }, 'ssh_added', sshForm);
  });

  scope.post('/profile/ssh/rename', async (request, reply) => {
    const posted = await postedBySession(ui, request, reply);
    if (!posted) return reply;
    const { session, form } = posted;
    const tag = form.required('tag', 64);
    const newTag = form.required('new_tag', 64).trim();
    return attempt(ui, reply, session, () => renameSshKey(ui, session, tag, newTag), 'ssh_renamed');
  });

  scope.post('/profile/ssh/delete', async (request, reply) => {
    const posted = await postedBySession(ui, request, reply);
    if (!posted) return reply;
    const { session, form } = posted;
    const tag = form.required('tag', 64);
    return attempt(ui, reply, session, () => {
      ui.services.directory.deleteSshKey(session.actor, session.actor.kind as AccountKind, session.actor.uuid, tag);
    }, 'ssh_removed');
  });
}
