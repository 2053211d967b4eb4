/**
 * The host socket protocol, written down once. `ward-unixd` (TypeScript) and the C clients (NSS
 * module, PAM module, the SSH key command) speak it; `npm run gen:c-header` turns this file into
 * `packages/proto/c/ward_proto.h`, and a test fails when the committed header drifts from it.
 *
 * Framing: every message is a 4-byte big-endian payload length, then the payload. A request
 * payload is `u32 op` followed by the op's request fields; a response payload is `u32 status`
 * followed by the op's response fields when the status is OK, or one `str` (a message for logs
 * and PAM conversations) otherwise. One request per connection is the norm for C clients; the
 * daemon also serves several in sequence on one connection.
 *
 * Field encodings (all integers big-endian):
 *   u32   4 bytes
 *   str   u32 byte length, then UTF-8 bytes (no NUL); at most STR_MAX bytes
 *   strs  u32 count, then that many `str`; at most LIST_MAX items
 *   u32s  u32 count, then that many `u32`; at most LIST_MAX items
 *   <record>[]  u32 count, then that many records, each its fields in order
 */
export const PROTO_VERSION = 1;

/** A request is small (a name, at most a password): anything longer is garbage. */
export const REQUEST_MAX = 8 * 1024;
/** A response holds at most one enumeration page or one big group. */
export const RESPONSE_MAX = 1024 * 1024;
export const STR_MAX = 64 * 1024;
export const LIST_MAX = 65536;
/** Entries per enumeration page (getpwent/getgrent ask page by page). */
export const ENUM_PAGE = 256;
/** What the C clients wait for one whole call (connect, send, receive), in milliseconds. */
export const CLIENT_TIMEOUT_MS = 1000;
/** How long the daemon lets one connection idle or one request take, in milliseconds. */
export const SERVER_IDLE_MS = 5000;

/** Record names are listed here by hand so the field types need not refer to RECORDS itself. */
export type RecordName = 'passwd' | 'group';
export type FieldType = 'u32' | 'str' | 'strs' | 'u32s' | `${RecordName}[]` | RecordName;
export type Fields = ReadonlyArray<readonly [string, FieldType]>;

export const RECORDS = {
  passwd: [
    ['name', 'str'],
    ['uid', 'u32'],
    ['gid', 'u32'],
    ['gecos', 'str'],
    ['dir', 'str'],
    ['shell', 'str'],
  ],
  group: [
    ['name', 'str'],
    ['gid', 'u32'],
    ['members', 'strs'],
  ],
} as const satisfies Record<RecordName, Fields>;

export const STATUS = {
  OK: 0,
  NOT_FOUND: 1,
  /** The daemon cannot answer (no cache entry and the IdP unreachable): NSS says UNAVAIL. */
  UNAVAILABLE: 2,
  /** PAM account: the account may not log in here; the message says why. */
  DENIED: 3,
  /** PAM auth: wrong password. */
  AUTH_FAILED: 4,
  BAD_REQUEST: 5,
  /** A privileged request on the public socket. */
  FORBIDDEN: 6,
  ERROR: 7,
} as const;
export type StatusName = keyof typeof STATUS;

const STATUS_NAMES = new Map<number, StatusName>(Object.entries(STATUS).map(([k, v]) => [v, k as StatusName]));
/** The name of a status code as received (undefined for a code this version does not know). */
export function statusName(code: number): StatusName | undefined {
  return STATUS_NAMES.get(code);
}

export interface OpDef {
  code: number;
  /** Only on the root-only socket. */
  privileged: boolean;
  request: Fields;
  response: Fields;
}

export const OPS = {
  PW_BY_NAME: { code: 1, privileged: false, request: [['name', 'str']], response: [['entry', 'passwd']] },
  PW_BY_UID: { code: 2, privileged: false, request: [['uid', 'u32']], response: [['entry', 'passwd']] },
  PW_ENUM: { code: 3, privileged: false, request: [['offset', 'u32']], response: [['entries', 'passwd[]']] },
  GR_BY_NAME: { code: 4, privileged: false, request: [['name', 'str']], response: [['entry', 'group']] },
  GR_BY_GID: { code: 5, privileged: false, request: [['gid', 'u32']], response: [['entry', 'group']] },
  GR_ENUM: { code: 6, privileged: false, request: [['offset', 'u32']], response: [['entries', 'group[]']] },
  INITGROUPS: { code: 7, privileged: false, request: [['name', 'str']], response: [['gids', 'u32s']] },
  SSH_KEYS: { code: 8, privileged: false, request: [['name', 'str']], response: [['keys', 'strs']] },
  STATUS: {
    code: 9,
    privileged: false,
    request: [],
    response: [
      ['online', 'u32'],
      ['idp_url', 'str'],
      ['users', 'u32'],
      ['groups', 'u32'],
      ['last_refresh_age', 'u32'],
      // Added with incremental sync; appended so older readers that stop early still parse.
      ['sync_state', 'str'],
      ['last_change_age', 'u32'],
    ],
  },
  PAM_AUTH: { code: 20, privileged: true, request: [['name', 'str'], ['password', 'str']], response: [['message', 'str']] },
  PAM_ACCOUNT: { code: 21, privileged: true, request: [['name', 'str']], response: [['message', 'str']] },
  PAM_SESSION: { code: 22, privileged: true, request: [['name', 'str']], response: [['message', 'str']] },
  PAM_CHAUTHTOK: {
    code: 23,
    privileged: true,
    request: [['name', 'str'], ['old_password', 'str'], ['new_password', 'str']],
    response: [['message', 'str']],
  },
  CACHE_CLEAR: { code: 30, privileged: true, request: [], response: [] },
  CACHE_INVALIDATE: { code: 31, privileged: true, request: [], response: [] },
} as const satisfies Record<string, OpDef>;
export type OpName = keyof typeof OPS;

/** Request fields never written to a log, whatever the log level. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(['password', 'old_password', 'new_password']);

/**
 * The tasks socket (root daemon), same framing. HOME_CREATE: `name` is the account's name (short
 * or SPN), `uid`/`gid` its numbers, `dir` the absolute path of the real home directory and
 * `aliases` absolute paths of symlinks to make pointing at `dir` (home_alias), all directly inside
 * home_prefix (ward-unixd's resolver/render.ts homeOf gives both).
 */
export const TASK_OPS = {
  HOME_CREATE: {
    code: 100,
    privileged: true,
    request: [
      ['name', 'str'],
      ['uid', 'u32'],
      ['gid', 'u32'],
      ['dir', 'str'],
      ['aliases', 'strs'],
    ],
    response: [['message', 'str']],
  },
} as const satisfies Record<string, OpDef>;
