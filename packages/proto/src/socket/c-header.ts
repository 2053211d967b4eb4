/**
 * Renders the C header `ward_proto.h` from schema.ts, so the C clients and the daemon share one
 * definition. `npm run gen:c-header -w @ward/proto` writes it; a test compares the committed file.
 */
import * as S from './schema.js';

function cName(s: string): string {
  return s.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

function fieldsComment(fields: S.Fields): string {
  return fields.length ? fields.map(([n, t]) => `${n}:${t}`).join(', ') : '(none)';
}

export function renderCHeader(): string {
  const out: string[] = [];
  out.push('/* GENERATED from packages/proto/src/socket/schema.ts by `npm run gen:c-header -w @ward/proto`.');
  out.push(' * Do not edit: change the schema and regenerate; a test fails when the two differ.');
  out.push(' *');
  out.push(' * Framing: u32 big-endian payload length, then the payload. Request payload: u32 op, then the');
  out.push(' * request fields. Response payload: u32 status, then the response fields when the status is');
  out.push(' * WARD_STATUS_OK, otherwise one str (a message). str = u32 length + UTF-8 bytes (no NUL);');
  out.push(' * strs / u32s / record[] = u32 count + items. All integers big-endian. */');
  out.push('#ifndef WARD_PROTO_H');
  out.push('#define WARD_PROTO_H');
  out.push('');
  out.push(`#define WARD_PROTO_VERSION ${S.PROTO_VERSION}`);
  out.push(`#define WARD_REQUEST_MAX ${S.REQUEST_MAX}u`);
  out.push(`#define WARD_RESPONSE_MAX ${S.RESPONSE_MAX}u`);
  out.push(`#define WARD_STR_MAX ${S.STR_MAX}u`);
  out.push(`#define WARD_LIST_MAX ${S.LIST_MAX}u`);
  out.push(`#define WARD_ENUM_PAGE ${S.ENUM_PAGE}u`);
  out.push(`#define WARD_CLIENT_TIMEOUT_MS ${S.CLIENT_TIMEOUT_MS}`);
  out.push('');
  out.push('/* Response statuses */');
  for (const [k, v] of Object.entries(S.STATUS)) out.push(`#define WARD_STATUS_${cName(k)} ${v}u`);
  out.push('');
  out.push('/* Records, their fields in wire order */');
  for (const [name, fields] of Object.entries(S.RECORDS) as Array<[string, S.Fields]>) {
    out.push(`/* record ${name}: ${fieldsComment(fields)} */`);
    out.push(`#define WARD_RECORD_${cName(name)}_SIG "${fields.map(([, t]) => t).join(',')}"`);
  }
  out.push('');
  out.push('/* Operations: code, then request and response fields in wire order */');
  const ops: Record<string, S.OpDef> = { ...S.OPS, ...S.TASK_OPS };
  for (const [name, def] of Object.entries(ops)) {
    out.push(`/* ${name}${def.privileged ? ' (root-only socket)' : ''}`);
    out.push(` *   request:  ${fieldsComment(def.request)}`);
    out.push(` *   response: ${fieldsComment(def.response)} */`);
    out.push(`#define WARD_OP_${cName(name)} ${def.code}u`);
    out.push(`#define WARD_OP_${cName(name)}_REQ_SIG "${def.request.map(([, t]) => t).join(',')}"`);
    out.push(`#define WARD_OP_${cName(name)}_RESP_SIG "${def.response.map(([, t]) => t).join(',')}"`);
  }
  out.push('');
  out.push('#endif /* WARD_PROTO_H */');
  return out.join('\n') + '\n';
}
