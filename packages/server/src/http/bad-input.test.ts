/**
 * Issue 2 §6 at the HTTP level: every kind of bad input gets its 4xx with the catalog's code, and
 * the directory is exactly as it was before the request (compared through the API itself).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, rawRequest, startTestServer, testSshKey, type RawRequest, type TestServer } from '../testing/index.js';

let srv: TestServer;
let admin: string;
const aliceKey = testSshKey('ed25519', 'alice@laptop');

const call = (req: RawRequest) => rawRequest(srv, { token: admin, ...req });

/** Everything a change could touch, as an administrator and a host see it. */
async function snapshot(): Promise<string> {
  const paths = ['/v1/person', '/v1/service_account', '/v1/group', '/v1/unix/account', '/v1/unix/group', '/v1/person/alice/ssh_keys', '/v1/group/staff/members'];
  const answers = await Promise.all(paths.map((path) => call({ path })));
  for (const a of answers) expect(a.status).toBe(200);
  return JSON.stringify(answers.map((a) => a.json));
}

beforeAll(async () => {
  srv = await startTestServer();
  admin = await login(srv, 'idm_admin', await srv.recover('idm_admin'));
  const setup: RawRequest[] = [
    { method: 'POST', path: '/v1/person', json: { name: 'alice', displayname: 'Alice', mail: ['alice@ward.test'] } },
    { method: 'POST', path: '/v1/person', json: { name: 'bob', displayname: 'Bob' } },
    { method: 'PUT', path: '/v1/person/alice/posix', json: {} },
    { method: 'POST', path: '/v1/person/alice/ssh_keys', json: { tag: 'laptop', key: aliceKey } },
    { method: 'POST', path: '/v1/group', json: { name: 'devs' } },
    { method: 'PUT', path: '/v1/group/devs/posix', json: { gidnumber: 5000 } },
    { method: 'POST', path: '/v1/group', json: { name: 'staff' } },
    { method: 'POST', path: '/v1/group', json: { name: 'plain' } },
    { method: 'POST', path: '/v1/group/staff/members', json: { members: ['devs'] } },
    { method: 'POST', path: '/v1/group/devs/members', json: { members: ['alice'] } },
    { method: 'POST', path: '/v1/service_account', json: { name: 'robot', displayname: 'Robot' } },
  ];
  for (const req of setup) {
    const res = await call(req);
    expect(res.status, `${req.method} ${req.path}: ${res.text}`).toBeLessThan(300);
  }
});
afterAll(() => srv?.close());

interface Case {
  title: string;
  req: RawRequest;
  status: number;
  error: string;
  message?: RegExp;
}

const BAD_NAMES: Array<[string, string, string]> = [
  ['upper case', 'Alice2', 'invalid_name'],
  ['a space', 'al ice', 'invalid_name'],
  ['a slash', 'a/b', 'invalid_name'],
  ['a dot-dot name', '..', 'invalid_name'],
  ['a dot-dot inside', 'a..b', 'invalid_name'],
  ['a control character', 'a\u0007b', 'invalid_name'],
  ['a newline', 'eve\nroot', 'invalid_name'],
  ['a leading digit', '1abc', 'invalid_name'],
  ['non-ASCII', 'jos\u00e9', 'invalid_name'],
  ['the form of a uuid', 'deadbeef-0000-4000-8000-00000000abcd', 'invalid_name'],
  ['65 characters', 'a'.repeat(65), 'bad_request'],
  ['an empty name', '', 'bad_request'],
];

const nameCases: Case[] = BAD_NAMES.flatMap(([what, name, error]) => [
  { title: `person name with ${what}`, req: { method: 'POST', path: '/v1/person', json: { name, displayname: 'X' } }, status: 400, error },
  { title: `service account name with ${what}`, req: { method: 'POST', path: '/v1/service_account', json: { name, displayname: 'X' } }, status: 400, error },
  { title: `group name with ${what}`, req: { method: 'POST', path: '/v1/group', json: { name } }, status: 400, error },
  { title: `rename to a name with ${what}`, req: { method: 'PATCH', path: '/v1/person/bob', json: { name } }, status: 400, error },
]);

// Names of the host's own system accounts: a directory person so named would be asserted to
// applications as `preferred_username=root` and collide with the account on every host.
for (const name of ['root', 'daemon', 'sshd', 'nobody', 'www-data', 'systemd-network']) {
  nameCases.push(
    { title: `person named ${name} (reserved)`, req: { method: 'POST', path: '/v1/person', json: { name, displayname: 'X' } }, status: 400, error: 'invalid_name', message: /reserved for the host's system accounts/ },
    { title: `service account named ${name} (reserved)`, req: { method: 'POST', path: '/v1/service_account', json: { name, displayname: 'X' } }, status: 400, error: 'invalid_name' },
    { title: `rename to ${name} (reserved)`, req: { method: 'PATCH', path: '/v1/person/bob', json: { name } }, status: 400, error: 'invalid_name' },
  );
}

const goodKey = testSshKey('ed25519', 'other');
const goodBlob = goodKey.split(' ')[1]!;
const sshCases: Case[] = [
  ['garbage', 'not a key at all', 400, 'invalid_ssh_key'],
  ['an empty blob', 'ssh-ed25519 AAAA', 400, 'invalid_ssh_key'],
  ['a truncated key', `ssh-ed25519 ${goodBlob.slice(0, 40)}`, 400, 'invalid_ssh_key'],
  ['bad base64', `ssh-ed25519 ${goodBlob.slice(0, -4)}!!!!`, 400, 'invalid_ssh_key'],
  ['a type that does not match the blob', `ssh-rsa ${goodBlob}`, 400, 'invalid_ssh_key'],
  ['an RSA key of 1024 bits', testSshKey('rsa-1024'), 400, 'invalid_ssh_key'],
  ['a DSA key', 'ssh-dss AAAAB3NzaC1kc3MAAACBAP7z8Hq6jJkM9Bq0 x', 400, 'invalid_ssh_key'],
  ['authorized_keys options', `command="/bin/sh" ${goodKey}`, 400, 'invalid_ssh_key'],
  ['two keys in one', `${goodKey}\n${testSshKey()}`, 400, 'invalid_ssh_key'],
  ['an oversized key', `ssh-rsa ${'A'.repeat(9000)}`, 400, 'bad_request'],
  ['the same key again under another tag', aliceKey, 409, 'duplicate_ssh_key'],
  // A right-to-left override makes "alice@laptop\u202Egpj.exe" print as something else.
  ['a right-to-left override in the comment', `${goodKey.split(' ').slice(0, 2).join(' ')} alice@\u202Epotpal`, 400, 'invalid_ssh_key'],
  ['a bidi isolate in the comment', `${goodKey.split(' ').slice(0, 2).join(' ')} a\u2066b`, 400, 'invalid_ssh_key'],
  ['an escape character in the comment', `${goodKey.split(' ').slice(0, 2).join(' ')} a\u001b[31mred`, 400, 'invalid_ssh_key'],
].map(([what, key, status, error]) => ({
  title: `SSH key: ${what}`,
  req: { method: 'POST', path: '/v1/person/alice/ssh_keys', json: { tag: 'second', key } },
  status: status as number,
  error: error as string,
}));
sshCases.push(
  { title: 'SSH key: a tag already holding another key', req: { method: 'POST', path: '/v1/person/alice/ssh_keys', json: { tag: 'laptop', key: goodKey } }, status: 409, error: 'duplicate_ssh_key' },
  { title: 'SSH key: a tag with a space', req: { method: 'POST', path: '/v1/person/alice/ssh_keys', json: { tag: 'my laptop', key: goodKey } }, status: 400, error: 'invalid_attribute' },
);

const idCases: Case[] = [
  ...[0, 999, 60000, 65534, 65535, 600000, 2147483648, 4294967296, -5].map((gidnumber) => ({
    title: `gidnumber ${gidnumber} (reserved)`,
    req: { method: 'PUT', path: '/v1/group/plain/posix', json: { gidnumber } },
    status: 400,
    error: 'reserved_id',
  })),
  { title: 'uid/gid 100 for a person (reserved)', req: { method: 'PUT', path: '/v1/person/bob/posix', json: { gidnumber: 100 } }, status: 400, error: 'reserved_id' },
  { title: 'a gidnumber already used by a group', req: { method: 'PUT', path: '/v1/group/plain/posix', json: { gidnumber: 5000 } }, status: 409, error: 'duplicate_id' },
  { title: 'a person number already used by a group', req: { method: 'PUT', path: '/v1/person/bob/posix', json: { gidnumber: 5000 } }, status: 409, error: 'duplicate_id' },
  { title: 'a fractional gidnumber', req: { method: 'PUT', path: '/v1/group/plain/posix', json: { gidnumber: 5001.5 } }, status: 400, error: 'bad_request', message: /body\.gidnumber/ },
  { title: 'a gidnumber as a string', req: { method: 'PUT', path: '/v1/group/plain/posix', json: { gidnumber: '5001' } }, status: 400, error: 'bad_request', message: /body\.gidnumber: must be integer/ },
  { title: 'a relative shell', req: { method: 'PUT', path: '/v1/person/bob/posix', json: { shell: 'bin/bash' } }, status: 400, error: 'invalid_attribute' },
  { title: 'a shell with ..', req: { method: 'PUT', path: '/v1/person/bob/posix', json: { shell: '/bin/../tmp/sh' } }, status: 400, error: 'invalid_attribute' },
];

const duplicateCases: Case[] = [
  { title: 'a person name taken by a different person', req: { method: 'POST', path: '/v1/person', json: { name: 'alice', displayname: 'Another Alice' } }, status: 409, error: 'duplicate_name' },
  { title: 'a group named like a person', req: { method: 'POST', path: '/v1/group', json: { name: 'alice' } }, status: 409, error: 'duplicate_name' },
  { title: 'a service account named like a group', req: { method: 'POST', path: '/v1/service_account', json: { name: 'devs', displayname: 'D' } }, status: 409, error: 'duplicate_name' },
  { title: 'a person named like a built-in', req: { method: 'POST', path: '/v1/person', json: { name: 'admin', displayname: 'A' } }, status: 409, error: 'duplicate_name' },
  { title: 'a rename onto a taken name', req: { method: 'PATCH', path: '/v1/person/bob', json: { name: 'alice' } }, status: 409, error: 'duplicate_name' },
  { title: 'deleting a built-in group', req: { method: 'DELETE', path: '/v1/group/idm_admins' }, status: 409, error: 'builtin' },
  { title: 'a group made a member of itself', req: { method: 'POST', path: '/v1/group/devs/members', json: { members: ['devs'] } }, status: 400, error: 'invalid_attribute' },
  { title: 'a member that does not exist', req: { method: 'POST', path: '/v1/group/devs/members', json: { members: ['bob', 'ghost'] } }, status: 404, error: 'not_found' },
];

const json = { 'content-type': 'application/json' };
const bodyCases: Case[] = [
  { title: 'malformed JSON', req: { method: 'POST', path: '/v1/person', body: '{"name": "mallory", ', headers: json }, status: 400, error: 'bad_request', message: /not valid JSON/ },
  { title: 'JSON with __proto__', req: { method: 'POST', path: '/v1/person', body: '{"name":"mallory","displayname":"M","__proto__":{"admin":true}}', headers: json }, status: 400, error: 'bad_request' },
  { title: 'an empty JSON body', req: { method: 'POST', path: '/v1/person', body: '', headers: json }, status: 400, error: 'bad_request' },
  { title: 'a JSON array as the body', req: { method: 'POST', path: '/v1/person', json: [{ name: 'mallory', displayname: 'M' }] }, status: 400, error: 'bad_request', message: /^body: must be object/ },
  { title: 'no body at all', req: { method: 'POST', path: '/v1/person' }, status: 400, error: 'bad_request' },
  { title: 'an unknown field', req: { method: 'POST', path: '/v1/person', json: { name: 'mallory', displayname: 'M', admin: true } }, status: 400, error: 'bad_request', message: /^body\.admin: is not an accepted field$/ },
  { title: 'a field of the wrong type', req: { method: 'POST', path: '/v1/person', json: { name: 'mallory', displayname: 42 } }, status: 400, error: 'bad_request', message: /^body\.displayname: must be string$/ },
  { title: 'a missing field', req: { method: 'POST', path: '/v1/person', json: { name: 'mallory' } }, status: 400, error: 'bad_request', message: /^body\.displayname: is required$/ },
  { title: 'a bad mail address', req: { method: 'PATCH', path: '/v1/person/bob', json: { mail: ['not-a-mail'] } }, status: 400, error: 'invalid_attribute' },
  {
    title: 'a display name that is not valid UTF-8',
    req: { method: 'PATCH', path: '/v1/person/bob', body: Buffer.concat([Buffer.from('{"displayname":"Bob '), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]), headers: json },
    status: 400,
    error: 'bad_request',
    message: /not valid UTF-8/,
  },
  { title: 'a display name with control characters', req: { method: 'PATCH', path: '/v1/person/bob', json: { displayname: 'Bob\u0000' } }, status: 400, error: 'invalid_attribute' },
  { title: 'an empty update', req: { method: 'PATCH', path: '/v1/person/bob', json: {} }, status: 400, error: 'bad_request', message: /^body: must hold at least one field$/ },
  { title: 'an oversized body', req: { method: 'POST', path: '/v1/person', json: { name: 'mallory', displayname: 'M', description: 'x'.repeat(70 * 1024) } }, status: 413, error: 'payload_too_large' },
  { title: 'a text/plain body', req: { method: 'POST', path: '/v1/person', body: '{"name":"mallory","displayname":"M"}', headers: { 'content-type': 'text/plain' } }, status: 415, error: 'unsupported_media_type' },
  { title: 'a form body', req: { method: 'POST', path: '/v1/person', body: 'name=mallory&displayname=M', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, status: 415, error: 'unsupported_media_type' },
  { title: 'an unknown route', req: { path: '/v1/nothing-here' }, status: 404, error: 'not_found' },
  { title: 'an unknown method on a known path', req: { method: 'PUT', path: '/v1/person', json: {} }, status: 404, error: 'not_found' },
  { title: 'an over-long entry reference', req: { path: `/v1/person/${'a'.repeat(400)}` }, status: 400, error: 'bad_request', message: /^params\.id: must NOT have more than 320 characters$/ },
  { title: 'a bad percent-encoding in the path', req: { path: '/v1/person/%E0%A4%A' }, status: 400, error: 'bad_request', message: /percent-encoding/ },
  { title: 'an over-long path segment', req: { path: `/v1/person/${'a'.repeat(2000)}` }, status: 400, error: 'bad_request', message: /too long/ },
  { title: 'a malformed Content-Length', req: { method: 'POST', path: '/v1/person', body: '{}', headers: { ...json, 'content-length': 'abc' } }, status: 400, error: 'bad_request', message: /malformed/ },
  { title: 'an entry that does not exist', req: { method: 'PATCH', path: '/v1/person/nobody', json: { displayname: 'N' } }, status: 404, error: 'not_found' },
  { title: 'a person reached through the service-account path', req: { method: 'PATCH', path: '/v1/service_account/alice', json: { displayname: 'N' } }, status: 404, error: 'not_found' },
];

describe.each([
  ['names', nameCases],
  ['SSH keys', sshCases],
  ['POSIX numbers and shells', idCases],
  ['duplicates and built-ins', duplicateCases],
  ['bodies and routes', bodyCases],
])('bad input: %s', (_group, cases) => {
  it.each(cases.map((c) => [c.title, c] as const))('%s', async (_title, c) => {
    const before = await snapshot();
    const res = await call(c.req);
    expect(res.status, res.text).toBe(c.status);
    expect(res.json).toEqual({ error: c.error, message: expect.any(String) });
    if (c.message) expect(res.json.message).toMatch(c.message);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(await snapshot()).toBe(before);
  });
});

describe('what stays valid', () => {
  it('creating an identical entry again succeeds and changes nothing', async () => {
    const before = await snapshot();
    const res = await call({ method: 'POST', path: '/v1/person', json: { name: 'alice', displayname: 'Alice', mail: ['alice@ward.test'] } });
    expect(res.status).toBe(200);
    expect(res.json.name).toBe('alice');
    expect(await snapshot()).toBe(before);
  });

  it('adding the same SSH key under the same tag again changes nothing', async () => {
    const before = await snapshot();
    const res = await call({ method: 'POST', path: '/v1/person/alice/ssh_keys', json: { tag: 'laptop', key: aliceKey } });
    expect(res.status).toBe(200);
    expect(await snapshot()).toBe(before);
  });

  it('the allowed ranges are accepted', async () => {
    for (const [path, gidnumber] of [['/v1/group/plain/posix', 1000], ['/v1/person/bob/posix', 59999]] as const) {
      const res = await call({ method: 'PUT', path, json: { gidnumber } });
      expect(res.status, res.text).toBe(200);
    }
  });
});
