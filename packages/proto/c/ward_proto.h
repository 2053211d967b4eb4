/* GENERATED from packages/proto/src/socket/schema.ts by `npm run gen:c-header -w @ward/proto`.
 * Do not edit: change the schema and regenerate; a test fails when the two differ.
 *
 * Framing: u32 big-endian payload length, then the payload. Request payload: u32 op, then the
 * request fields. Response payload: u32 status, then the response fields when the status is
 * WARD_STATUS_OK, otherwise one str (a message). str = u32 length + UTF-8 bytes (no NUL);
 * strs / u32s / record[] = u32 count + items. All integers big-endian. */
#ifndef WARD_PROTO_H
#define WARD_PROTO_H

#define WARD_PROTO_VERSION 1
#define WARD_REQUEST_MAX 8192u
#define WARD_RESPONSE_MAX 1048576u
#define WARD_STR_MAX 65536u
#define WARD_LIST_MAX 65536u
#define WARD_ENUM_PAGE 256u
#define WARD_CLIENT_TIMEOUT_MS 1000

/* Response statuses */
#define WARD_STATUS_OK 0u
#define WARD_STATUS_NOT_FOUND 1u
#define WARD_STATUS_UNAVAILABLE 2u
#define WARD_STATUS_DENIED 3u
#define WARD_STATUS_AUTH_FAILED 4u
#define WARD_STATUS_BAD_REQUEST 5u
#define WARD_STATUS_FORBIDDEN 6u
#define WARD_STATUS_ERROR 7u

/* Records, their fields in wire order */
/* record passwd: name:str, uid:u32, gid:u32, gecos:str, dir:str, shell:str */
#define WARD_RECORD_PASSWD_SIG "str,u32,u32,str,str,str"
/* record group: name:str, gid:u32, members:strs */
#define WARD_RECORD_GROUP_SIG "str,u32,strs"

/* Operations: code, then request and response fields in wire order */
/* PW_BY_NAME
 *   request:  name:str
 *   response: entry:passwd */
#define WARD_OP_PW_BY_NAME 1u
#define WARD_OP_PW_BY_NAME_REQ_SIG "str"
#define WARD_OP_PW_BY_NAME_RESP_SIG "passwd"
/* PW_BY_UID
 *   request:  uid:u32
 *   response: entry:passwd */
#define WARD_OP_PW_BY_UID 2u
#define WARD_OP_PW_BY_UID_REQ_SIG "u32"
#define WARD_OP_PW_BY_UID_RESP_SIG "passwd"
/* PW_ENUM
 *   request:  offset:u32
 *   response: entries:passwd[] */
#define WARD_OP_PW_ENUM 3u
#define WARD_OP_PW_ENUM_REQ_SIG "u32"
#define WARD_OP_PW_ENUM_RESP_SIG "passwd[]"
/* GR_BY_NAME
 *   request:  name:str
 *   response: entry:group */
#define WARD_OP_GR_BY_NAME 4u
#define WARD_OP_GR_BY_NAME_REQ_SIG "str"
#define WARD_OP_GR_BY_NAME_RESP_SIG "group"
/* GR_BY_GID
 *   request:  gid:u32
 *   response: entry:group */
#define WARD_OP_GR_BY_GID 5u
#define WARD_OP_GR_BY_GID_REQ_SIG "u32"
#define WARD_OP_GR_BY_GID_RESP_SIG "group"
/* GR_ENUM
 *   request:  offset:u32
 *   response: entries:group[] */
#define WARD_OP_GR_ENUM 6u
#define WARD_OP_GR_ENUM_REQ_SIG "u32"
#define WARD_OP_GR_ENUM_RESP_SIG "group[]"
/* INITGROUPS
 *   request:  name:str
 *   response: gids:u32s */
#define WARD_OP_INITGROUPS 7u
#define WARD_OP_INITGROUPS_REQ_SIG "str"
#define WARD_OP_INITGROUPS_RESP_SIG "u32s"
/* SSH_KEYS
 *   request:  name:str
 *   response: keys:strs */
#define WARD_OP_SSH_KEYS 8u
#define WARD_OP_SSH_KEYS_REQ_SIG "str"
#define WARD_OP_SSH_KEYS_RESP_SIG "strs"
/* STATUS
 *   request:  (none)
 *   response: online:u32, idp_url:str, users:u32, groups:u32, last_refresh_age:u32, sync_state:str, last_change_age:u32 */
#define WARD_OP_STATUS 9u
#define WARD_OP_STATUS_REQ_SIG ""
#define WARD_OP_STATUS_RESP_SIG "u32,str,u32,u32,u32,str,u32"
/* PAM_AUTH (root-only socket)
 *   request:  name:str, password:str
 *   response: message:str */
#define WARD_OP_PAM_AUTH 20u
#define WARD_OP_PAM_AUTH_REQ_SIG "str,str"
#define WARD_OP_PAM_AUTH_RESP_SIG "str"
/* PAM_ACCOUNT (root-only socket)
 *   request:  name:str
 *   response: message:str */
#define WARD_OP_PAM_ACCOUNT 21u
#define WARD_OP_PAM_ACCOUNT_REQ_SIG "str"
#define WARD_OP_PAM_ACCOUNT_RESP_SIG "str"
/* PAM_SESSION (root-only socket)
 *   request:  name:str
 *   response: message:str */
#define WARD_OP_PAM_SESSION 22u
#define WARD_OP_PAM_SESSION_REQ_SIG "str"
#define WARD_OP_PAM_SESSION_RESP_SIG "str"
/* PAM_CHAUTHTOK (root-only socket)
 *   request:  name:str, old_password:str, new_password:str
 *   response: message:str */
#define WARD_OP_PAM_CHAUTHTOK 23u
#define WARD_OP_PAM_CHAUTHTOK_REQ_SIG "str,str,str"
#define WARD_OP_PAM_CHAUTHTOK_RESP_SIG "str"
/* CACHE_CLEAR (root-only socket)
 *   request:  (none)
 *   response: (none) */
#define WARD_OP_CACHE_CLEAR 30u
#define WARD_OP_CACHE_CLEAR_REQ_SIG ""
#define WARD_OP_CACHE_CLEAR_RESP_SIG ""
/* CACHE_INVALIDATE (root-only socket)
 *   request:  (none)
 *   response: (none) */
#define WARD_OP_CACHE_INVALIDATE 31u
#define WARD_OP_CACHE_INVALIDATE_REQ_SIG ""
#define WARD_OP_CACHE_INVALIDATE_RESP_SIG ""
/* HOME_CREATE (root-only socket)
 *   request:  name:str, uid:u32, gid:u32, dir:str, aliases:strs
 *   response: message:str */
#define WARD_OP_HOME_CREATE 100u
#define WARD_OP_HOME_CREATE_REQ_SIG "str,u32,u32,str,strs"
#define WARD_OP_HOME_CREATE_RESP_SIG "str"

#endif /* WARD_PROTO_H */
