/** Handlers of the group routes: entries, membership (direct and nested) and the gidnumber. */
import type { CreateGroupRequest, MembersRequest, SetGroupPosixRequest } from '@ward/proto';
import { created, ok, type Handler, type Services } from './context.js';

export function groupHandlers(s: Services): Record<string, Handler> {
  const d = s.directory;
  const members = (c: { body: unknown }) => (c.body as MembersRequest).members;
  return {
    group_list: (c) => d.listGroups(c.actor),
    group_create: (c) => {
      const r = d.createGroup(c.actor, c.body as CreateGroupRequest);
      return created(c, r, r.group);
    },
    group_get: (c) => d.getGroup(c.actor, c.params.id!),
    group_delete: (c) => {
      d.deleteGroup(c.actor, c.params.id!);
      return ok();
    },
    group_members_list: (c) => d.listMembers(c.actor, c.params.id!),
    group_members_add: (c) => ok(d.addMembers(c.actor, c.params.id!, members(c)).changed),
    group_members_remove: (c) => ok(d.removeMembers(c.actor, c.params.id!, members(c)).changed),
    group_members_set: (c) => ok(d.setMembers(c.actor, c.params.id!, members(c)).changed),
    group_posix_set: (c) => d.setGroupPosix(c.actor, c.params.id!, c.body as SetGroupPosixRequest),
    // Reading through getGroup first applies the caller's read rights.
    group_posix_get: (c) => d.getUnixGroup(d.getGroup(c.actor, c.params.id!).uuid),
  };
}
