/**
 * Failures as a script sees them: one `ward: <reason> (<code>)` line on standard error, the exit
 * code of the documented table, a JSON error object with `-o json`, and no change on the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_LINE, WardShell, ed25519PublicKey, startServer, type TestServer } from './harness.js';

let server: TestServer;
let sh: WardShell;

beforeAll(async () => {
  server = await startServer();
  sh = new WardShell(server);
  const password = await server.recover('idm_admin');
  await sh.ok(['login', '-D', 'idm_admin'], { env: { WARD_PASSWORD: password } });
  await sh.ok(['person', 'create', 'bob', 'Bob']);
  await sh.ok(['group', 'create', 'ops']);
});

afterAll(async () => {
  await server?.close();
  sh?.cleanup();
});

async function expectFailure(args: string[], exit: number, code: string, opts: Parameters<WardShell['run']>[1] = {}) {
  const r = await sh.run(args, opts);
  expect(r.stderr, args.join(' ')).toMatch(FAILURE_LINE);
  expect(r.stderr, args.join(' ')).toContain(`(${code})`);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(exit);
  return r;
}

describe('bad input is refused locally with exit 2 and changes nothing', () => {
  const badNames = ['Alice', 'al ice', 'al/ice', '..', 'a..b', 'tab\there', 'x'.repeat(65)];
  for (const name of badNames) {
    it(`refuses the name ${JSON.stringify(name)}`, async () => {
      await expectFailure(['person', 'create', name, 'Someone'], 2, 'invalid_name');
      await expectFailure(['group', 'create', name], 2, 'invalid_name');
    });
  }

  it('refuses reserved POSIX numbers, bad shells, mail addresses, dates and tags', async () => {
    for (const gid of ['0', '999', '60000', '65534', '600000', '4294967296']) {
      await expectFailure(['group', 'posix', 'set', 'ops', '--gidnumber', gid], 2, 'reserved_id');
    }
    await expectFailure(['group', 'posix', 'set', 'ops', '--gidnumber', '99999999999'], 2, 'invalid_attribute');
    await expectFailure(['person', 'posix', 'set', 'bob', '--gidnumber', 'abc'], 2, 'invalid_attribute');
    await expectFailure(['person', 'posix', 'set', 'bob', '--shell', 'bash'], 2, 'invalid_attribute');
    await expectFailure(['person', 'posix', 'set', 'bob', '--shell', '/bin/../bin/sh'], 2, 'invalid_attribute');
    await expectFailure(['person', 'create', 'carol', 'Carol', '--mail', 'not-a-mail'], 2, 'invalid_attribute');
    await expectFailure(['person', 'create', 'carol', 'Ca\u0007rol'], 2, 'invalid_attribute');
    await expectFailure(['person', 'update', 'bob', '--expire', 'next week'], 2, 'invalid_attribute');
    await expectFailure(['person', 'ssh', 'add-publickey', 'bob', 'bad tag', ed25519PublicKey('x')], 2, 'invalid_attribute');
    // Nothing reached the server: bob has no POSIX attributes, carol does not exist, ops has no gid.
    expect((await sh.json(['person', 'get', 'bob'])).posix).toBeNull();
    expect((await sh.json(['group', 'get', 'ops'])).gidnumber).toBeNull();
    await expectFailure(['person', 'get', 'carol'], 4, 'not_found');
  });

  it('shows help with exit 0', async () => {
    for (const args of [['--help'], ['help', 'group'], ['person', 'update', '--help']]) {
      const r = await sh.run(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: ward /);
    }
    expect((await sh.run(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('refuses usage errors with exit 2', async () => {
    await expectFailure(['person', 'create', 'carol'], 2, 'bad_request');
    await expectFailure(['person', 'get', 'bob', '--frobnicate'], 2, 'bad_request');
    await expectFailure(['person', 'explode'], 2, 'bad_request');
    await expectFailure(['person'], 2, 'bad_request');
    await expectFailure(['-o', 'yaml', 'person', 'list'], 2, 'bad_request');
    await expectFailure(['person', 'update', 'bob'], 2, 'bad_request');
    await expectFailure(['person', 'update', 'bob', '--lock', '--unlock'], 2, 'bad_request');
    await expectFailure(['group', 'add-members', 'ops'], 2, 'bad_request');
    await expectFailure(['person', 'list'], 2, 'bad_request', { env: { WARD_URL: 'http://127.0.0.1:1' } });
    await expectFailure(['person', 'list'], 2, 'bad_request', { env: { WARD_URL: undefined } });
    await expectFailure(['login'], 2, 'bad_request');
    await expectFailure(['person', 'list'], 2, 'bad_request', { env: { WARD_CA_PATH: '/nonexistent/ca.pem' } });
  });

  it('passes the server\u2019s refusals through with their exit codes', async () => {
    await expectFailure(['person', 'ssh', 'add-publickey', 'bob', 'k', 'ssh-ed25519 AAAAnotakey'], 2, 'invalid_ssh_key');
    await expectFailure(['person', 'ssh', 'add-publickey', 'bob', 'k', 'ssh-dss AAAAB3NzaC1kc3MAAACBAP'], 2, 'invalid_ssh_key');
    await expectFailure(['person', 'create', 'bob', 'Another Bob'], 6, 'duplicate_name');
    await expectFailure(['group', 'create', 'bob'], 6, 'duplicate_name');
    await expectFailure(['person', 'get', 'nobody'], 4, 'not_found');
    await expectFailure(['group', 'add-members', 'ops', 'nobody'], 4, 'not_found');
    await expectFailure(['group', 'delete', 'idm_admins'], 6, 'builtin');
    const k = ed25519PublicKey('k');
    await sh.ok(['person', 'ssh', 'add-publickey', 'bob', 'one', k]);
    await expectFailure(['person', 'ssh', 'add-publickey', 'bob', 'two', k], 6, 'duplicate_ssh_key');
    expect(await sh.json(['person', 'ssh', 'list-publickeys', 'bob'])).toHaveLength(1);
  });

  it('reads an SSH key from a file or from standard input, one key only', async () => {
    const k = ed25519PublicKey('from-stdin');
    expect(await sh.ok(['person', 'ssh', 'add-publickey', 'bob', 'stdin', '-'], { input: k + '\n' })).toMatch(/^person bob: SSH key stdin added\n/);
    await expectFailure(['person', 'ssh', 'add-publickey', 'bob', 'two', '-'], 2, 'invalid_ssh_key', {
      input: `${ed25519PublicKey('a')}\n${ed25519PublicKey('b')}\n`,
    });
    await expectFailure(['person', 'ssh', 'add-publickey', 'bob', 'file', '@/nonexistent/key.pub'], 2, 'bad_request');
  });

  it('says why authentication failed with exit 3', async () => {
    const fresh = new WardShell(server);
    try {
      const r = await fresh.run(['person', 'list']);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^ward: not logged in to https:\/\/127\.0\.0\.1:\d+: run "ward login -D NAME" or set WARD_TOKEN \(unauthenticated\)\n$/);
      const wrong = await fresh.run(['login', '-D', 'idm_admin'], { env: { WARD_PASSWORD: 'wrong password' } });
      expect(wrong.code).toBe(3);
      expect(wrong.stderr).toMatch(/\(auth_failed\)\n$/);
      const forged = await fresh.run(['person', 'list'], { env: { WARD_TOKEN: 'eyJhbGciOiJFUzI1NiJ9.e30.AAAA' } });
      expect(forged.code).toBe(3);
      expect(forged.stderr).toMatch(/^ward: the token in WARD_TOKEN was refused: .* \((token_invalid|unauthenticated)\)\n$/);
    } finally {
      fresh.cleanup();
    }
  });

  it('with -o json, also prints the error as a JSON object on standard output', async () => {
    const r = await expectFailure(['-o', 'json', 'person', 'get', 'nobody'], 4, 'not_found');
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: 'not_found', exit_code: 4, message: expect.any(String) });
    const usage = await expectFailure(['-o', 'json', 'person', 'create', 'Bad', 'x'], 2, 'invalid_name');
    expect(JSON.parse(usage.stdout)).toMatchObject({ ok: false, error: 'invalid_name', exit_code: 2 });
  });

  it('cannot reach a server that is not there: exit 1', async () => {
    await expectFailure(['person', 'list'], 1, 'unavailable', { env: { WARD_URL: 'https://127.0.0.1:1', WARD_TOKEN: 'x' } });
  });
});
