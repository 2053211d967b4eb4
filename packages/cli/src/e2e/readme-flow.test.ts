/**
 * The README's flow, done the way a new administrator does it: log in as idm_admin, create a
 * person with POSIX attributes and an SSH key in a POSIX group nested in another, read it all back
 * in text and in JSON, then rerun the same script and see that nothing changes.
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardShell, ed25519PublicKey, startServer, type TestServer } from './harness.js';

let server: TestServer;
let sh: WardShell;
let password: string;
const key = ed25519PublicKey('alice@laptop');

beforeAll(async () => {
  server = await startServer();
  sh = new WardShell(server);
  password = await server.recover('idm_admin');
});

afterAll(async () => {
  await server?.close();
  sh?.cleanup();
});

/** The administrator's script; every step must succeed on the first run and on a rerun. */
const SCRIPT: string[][] = [
  ['group', 'create', 'staff', '--description', 'everyone'],
  ['group', 'create', 'eng'],
  ['group', 'posix', 'set', 'staff'],
  ['group', 'posix', 'set', 'eng', '--gidnumber', '20000'],
  ['group', 'add-members', 'staff', 'eng'],
  ['person', 'create', 'alice', 'Alice Liddell', '--mail', 'alice@example.com', 'al@example.com'],
  ['person', 'posix', 'set', 'alice', '--shell', '/bin/zsh'],
  ['person', 'ssh', 'add-publickey', 'alice', 'laptop', key],
  ['group', 'add-members', 'eng', 'alice'],
];

describe('the README flow', () => {
  it('logs in as idm_admin with WARD_PASSWORD, caching the token privately', async () => {
    const r = await sh.run(['login', '-D', 'idm_admin'], { env: { WARD_PASSWORD: password } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^logged in to https:\/\/127\.0\.0\.1:\d+ as idm_admin@\S+ until \S+\n$/);
    expect(r.stdout + r.stderr).not.toContain(password);
    expect(statSync(sh.cachePath).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(sh.cachePath)).mode & 0o777).toBe(0o700);
    const me = await sh.json(['whoami']);
    expect(me).toMatchObject({ name: 'idm_admin', token_kind: 'session', read_write: true });
  });

  it('runs the script once: every step reports a change', async () => {
    for (const step of SCRIPT) {
      const out = await sh.json(step);
      expect(out, step.join(' ')).toMatchObject({ ok: true, changed: true });
    }
  });

  it('reads the person back as text', async () => {
    const text = await sh.ok(['person', 'get', 'alice']);
    const lines = text.trimEnd().split('\n');
    // Aligned `key: value` lines; a multi-valued attribute repeats its key.
    const column = lines[0]!.indexOf('alice');
    for (const line of lines) expect(line.charAt(column - 1), line).toBe(' ');
    expect(text).toMatch(/^name: +alice$/m);
    expect(text).toMatch(/^displayname: +Alice Liddell$/m);
    expect(text).toMatch(/^mail: +alice@example\.com$/m);
    expect(text).toMatch(/^mail: +al@example\.com$/m);
    expect(text).toMatch(/^memberof: +eng$/m);
    expect(text).toMatch(/^memberof: +staff$/m);
    expect(text).toMatch(/^shell: +\/bin\/zsh$/m);
    expect(text).toMatch(/^uidnumber: +\d+$/m);

    const posix = await sh.ok(['person', 'posix', 'show', 'alice']);
    expect(posix).toMatch(/^group: +eng \(20000\)$/m);
    expect(posix).toMatch(/^group: +staff \(\d+\)$/m);
    expect(posix).toContain(key.split(' ')[1]);

    const keys = await sh.ok(['person', 'ssh', 'list-publickeys', 'alice']);
    expect(keys).toMatch(/^laptop +ssh-ed25519 +256 +SHA256:\S+ +alice@laptop\n$/);
  });

  it('reads it all back as JSON', async () => {
    const alice = await sh.json(['person', 'get', 'alice']);
    expect(alice).toMatchObject({
      name: 'alice',
      kind: 'person',
      displayname: 'Alice Liddell',
      mail: ['alice@example.com', 'al@example.com'],
      posix: { shell: '/bin/zsh' },
    });
    expect(alice.spn).toBe(`alice@${server.domain}`);
    expect([...alice.memberof].sort()).toEqual(expect.arrayContaining(['eng', 'staff']));
    expect(alice.direct_memberof).toContain('eng');
    expect(alice.direct_memberof).not.toContain('staff');
    expect(alice.posix.gidnumber).toBe(alice.posix.uidnumber);

    const unix = await sh.json(['person', 'posix', 'show', 'alice']);
    expect(unix.groups[0]).toMatchObject({ name: 'alice', gidnumber: alice.posix.uidnumber });
    expect(unix.groups.map((g: { name: string }) => g.name)).toEqual(expect.arrayContaining(['alice', 'eng', 'staff']));
    expect(unix.sshkeys).toHaveLength(1);
    expect(unix.sshkeys[0]).toContain(key.split(' ')[1]);

    const staff = await sh.json(['group', 'get', 'staff']);
    expect(staff).toMatchObject({ name: 'staff', description: 'everyone', members: ['eng'] });
    expect(staff.gidnumber).toBeGreaterThanOrEqual(65536);
    const members = await sh.json(['group', 'list-members', 'staff']);
    expect(members).toEqual({ direct: ['eng'], effective: ['alice'] });
    const staffPosix = await sh.json(['group', 'posix', 'show', 'staff']);
    expect(staffPosix.members).toEqual(['alice']);
    const eng = await sh.json(['group', 'posix', 'show', 'eng']);
    expect(eng).toMatchObject({ gidnumber: 20000, members: ['alice'] });

    const keys = await sh.json(['person', 'ssh', 'list-publickeys', 'alice']);
    expect(keys).toEqual([expect.objectContaining({ tag: 'laptop', type: 'ssh-ed25519', bits: 256, comment: 'alice@laptop' })]);

    const persons = await sh.json(['person', 'list']);
    expect(persons.map((p: { name: string }) => p.name)).toContain('alice');
    const list = await sh.ok(['group', 'list']);
    expect(list).toMatch(/^eng +20000$/m);
  });

  it('reruns the same script: every step succeeds and reports "unchanged"', async () => {
    for (const step of SCRIPT) {
      const json = await sh.json(step);
      expect(json, step.join(' ')).toMatchObject({ ok: true, changed: false });
    }
    const text = await sh.run(SCRIPT[5]!);
    expect(text).toEqual({ code: 0, stdout: 'person alice: unchanged\n', stderr: '' });
    const add = await sh.run(['group', 'add-members', 'eng', 'alice']);
    expect(add.stdout).toBe('group eng: unchanged\n');
  });

  it('updates a person and reports a repeated update as unchanged', async () => {
    const first = await sh.json(['person', 'update', 'alice', '--displayname', 'Alice L.', '--expire', '2040-01-01T00:00:00Z']);
    expect(first).toMatchObject({ ok: true, changed: true, entry: { displayname: 'Alice L.', expire_at: expect.stringMatching(/^2040-01-01T00:00:00/) } });
    const again = await sh.json(['person', 'update', 'alice', '--displayname', 'Alice L.', '--expire', '2040-01-01T00:00:00Z']);
    expect(again.changed).toBe(false);
    const cleared = await sh.json(['person', 'update', 'alice', '--expire', 'never', '--no-mail']);
    expect(cleared.entry).toMatchObject({ expire_at: null, mail: [] });
    const text = await sh.ok(['person', 'get', 'alice']);
    expect(text).toMatch(/^expire_at: +never$/m);
    expect(text).not.toMatch(/^mail:/m);

    const locked = await sh.json(['person', 'update', 'alice', '--lock']);
    expect(locked).toMatchObject({ changed: true, entry: { locked: true } });
    expect(await sh.ok(['person', 'update', 'alice', '--unlock'])).toBe('person alice: updated\n');
    const uuid = (await sh.json(['person', 'get', 'alice'])).uuid;
    expect(await sh.ok(['person', 'update', 'alice', '--newname', 'alicia'])).toBe('person alicia: updated\n');
    expect((await sh.run(['person', 'get', 'alice'])).code).toBe(4);
    expect((await sh.json(['person', 'get', uuid])).name).toBe('alicia');
    expect(await sh.ok(['person', 'update', 'alicia', '--newname', 'alice'])).toBe('person alice: updated\n');
  });

  it('removes what it added', async () => {
    expect(await sh.ok(['person', 'ssh', 'delete-publickey', 'alice', 'laptop'])).toBe('person alice: SSH key laptop deleted\n');
    expect(await sh.json(['person', 'ssh', 'list-publickeys', 'alice'])).toEqual([]);
    expect(await sh.ok(['group', 'remove-members', 'eng', 'alice'])).toBe('group eng: members removed\n');
    expect(await sh.ok(['group', 'remove-members', 'eng', 'alice'])).toBe('group eng: unchanged\n');
    expect(await sh.ok(['group', 'set-members', 'staff'])).toBe('group staff: members set\n');
    expect(await sh.json(['group', 'list-members', 'staff'])).toEqual({ direct: [], effective: [] });
    expect(await sh.ok(['group', 'delete', 'eng'])).toBe('group eng: deleted\n');
    const gone = await sh.run(['group', 'get', 'eng']);
    expect(gone.code).toBe(4);
  });
});
