/**
 * Two accounts never share a mail address, in any letter case (applications are told the
 * address is verified, and some link accounts by it). Through the REST API: a duplicate on
 * create or change is a 409 naming the holder and changes nothing; a person may change the case
 * of their own address; a freed address (changed or deleted) can be taken.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, rawRequest, startTestServer, type RawRequest, type TestServer } from '../testing/index.js';

let srv: TestServer;
let token: string;
const api = (req: RawRequest) => rawRequest(srv, { token, ...req });
const mailOf = async (name: string): Promise<string[]> => (await api({ path: `/v1/person/${name}` })).json.mail;

beforeAll(async () => {
  srv = await startTestServer();
  token = await adminToken(srv);
  expect((await api({ method: 'POST', path: '/v1/person', json: { name: 'alice', displayname: 'Alice', mail: ['Alice@Example.com'] } })).status).toBe(201);
});
afterAll(() => srv?.close());

describe('a mail address', () => {
  it('already held is refused to a new person, in any letter case', async () => {
    const res = await api({ method: 'POST', path: '/v1/person', json: { name: 'mallory', displayname: 'M', mail: ['alice@EXAMPLE.COM'] } });
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({ error: 'conflict', message: 'the mail address alice@EXAMPLE.COM is already used by "alice"' });
    expect((await api({ path: '/v1/person/mallory' })).status).toBe(404);
    const bot = await api({ method: 'POST', path: '/v1/service_account', json: { name: 'bot', displayname: 'Bot', mail: ['ALICE@example.com'] } });
    expect(bot.status).toBe(409);
  });

  it('already held is refused to a changed person, who stays as they were', async () => {
    expect((await api({ method: 'POST', path: '/v1/person', json: { name: 'bob', displayname: 'Bob', mail: ['bob@example.com'] } })).status).toBe(201);
    const res = await api({ method: 'PATCH', path: '/v1/person/bob', json: { mail: ['bob@example.com', 'aLiCe@example.com'] } });
    expect(res.status).toBe(409);
    expect(res.json.message).toBe('the mail address aLiCe@example.com is already used by "alice"');
    expect(await mailOf('bob')).toEqual(['bob@example.com']);
  });

  it('may change case for its holder, and is free again once dropped or its holder deleted', async () => {
    expect((await api({ method: 'PATCH', path: '/v1/person/alice', json: { mail: ['alice@example.com'] } })).status).toBe(200);
    expect((await api({ method: 'PATCH', path: '/v1/person/alice', json: { mail: ['a.lovelace@example.com'] } })).status).toBe(200);
    expect((await api({ method: 'PATCH', path: '/v1/person/bob', json: { mail: ['Alice@example.com'] } })).status).toBe(200);
    expect((await api({ method: 'DELETE', path: '/v1/person/bob' })).status).toBe(200);
    expect((await api({ method: 'POST', path: '/v1/person', json: { name: 'carol', displayname: 'Carol', mail: ['alice@example.com'] } })).status).toBe(201);
  });
});
