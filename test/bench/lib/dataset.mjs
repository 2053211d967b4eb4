/**
 * The benchmark directory: N POSIX persons, each with an SSH key, in N/10 nested POSIX groups, the
 * same shape for the IdP, host and fleet benchmarks at every size (1,000, 10,000, 100,000). It
 * mirrors the SSSD peer baseline (../shared/bench/peers: N users, N/10 groups, each user in 2
 * supplementary groups, one ed25519 key each and two for every third user) and adds the nesting
 * the issues ask for. With G = N/10 groups (shown for N = 10,000):
 *
 *   G/100 departments  dep0..     each holds 9 teams            (~1,900 effective members)
 *   9G/100 teams       team0..    each holds 10 leaf groups     (~210 effective members)
 *   9G/10 leaves       grp0..     persons are direct members    (~22 members each)
 *
 * so group sizes do not grow with N: a department always has about 2,000 members (at N = 1,000
 * the only one has all 1,000). Every person sits directly in two leaves, so initgroups gives its
 * own group, 2 leaves, up to 2 teams and up to 2 departments. The directory is loaded through the
 * server's own data layer (`openDirectory`, the same validation and access checks as the REST
 * API, acting as `admin`) in a few large transactions, because the REST API writes one entry per
 * request and each write fsyncs: 400,000 requests would take an hour and measure nothing we
 * report. Setup only.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './paths.mjs';

const { openDirectory } = await import(pathToFileURL(path.join(ROOT, 'packages/server/dist/directory/index.js')).href);

/** The group counts for `persons` persons (a multiple of 1,000). */
export function shapeFor(persons = 10_000) {
  if (!Number.isInteger(persons) || persons < 1000 || persons % 1000 !== 0) throw new Error(`persons must be a multiple of 1,000, not ${persons}`);
  const groups = persons / 10;
  return { persons, departments: groups / 100, teams: (groups * 9) / 100, leaves: (groups * 9) / 10 };
}
export const SHAPE = shapeFor(10_000);
export const GROUP_COUNT = SHAPE.departments + SHAPE.teams + SHAPE.leaves;

export const personName = (i) => `user${i}`;
/** The person whose primary password the login benchmark uses. */
export const LOGIN_USER = personName(0);

function sshString(data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}

/**
 * An ssh-ed25519 public key line around 32 random bytes: well-formed for every parser (ours,
 * ssh-keygen -l), as the SSSD baseline built its keys; nothing here signs with them. Not
 * testSshKey (generateKeyPairSync): on Node 20.20 some thousands of those calls in one process
 * deadlock in a GC callback (node::crypto::KeyGenJob's destructor), which hung this loader, and
 * a real key costs ~0.5 ms to derive another way.
 */
export function benchSshKey(comment) {
  const blob = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(randomBytes(32))]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}

/** The two leaf groups person i belongs to (distinct for every i), among `leaves` leaves. */
export function leavesOf(i, leaves = SHAPE.leaves) {
  const a = i % leaves;
  const b = (a + 1 + ((i * 7) % (leaves - 1))) % leaves;
  return [`grp${a}`, `grp${b}`];
}

/** Every group with its direct members, parents before children (creation order). */
export function groupPlan(persons = SHAPE.persons) {
  const shape = shapeFor(persons);
  const leafMembers = Array.from({ length: shape.leaves }, () => []);
  for (let i = 0; i < persons; i++) for (const g of leavesOf(i, shape.leaves)) leafMembers[Number(g.slice(3))].push(personName(i));
  const plan = [];
  for (let d = 0; d < shape.departments; d++) {
    plan.push({ name: `dep${d}`, kind: 'department', members: Array.from({ length: 9 }, (_, k) => `team${d * 9 + k}`) });
  }
  for (let t = 0; t < shape.teams; t++) {
    plan.push({ name: `team${t}`, kind: 'team', members: Array.from({ length: 10 }, (_, k) => `grp${t * 10 + k}`) });
  }
  for (let l = 0; l < shape.leaves; l++) plan.push({ name: `grp${l}`, kind: 'leaf', members: leafMembers[l] });
  return plan;
}

/**
 * Fills the store at dbPath (the server must not be running on it). Returns what a benchmark
 * needs to know: the login user's password, the POSIX numbers and the time the load took.
 */
export async function loadDirectory({ dbPath, domain, persons = SHAPE.persons }) {
  const started = performance.now();
  const dir = openDirectory({ dbPath, domain });
  try {
    // The admin actor, found the way a login finds it: through a password only this run knows.
    const adminPassword = randomBytes(18).toString('base64url');
    await dir.setPrimaryPassword('admin', adminPassword);
    const who = await dir.verifyPassword('admin', adminPassword);
    const admin = who && dir.actorFor(who.uuid, true);
    if (!admin) throw new Error('cannot act as admin on the benchmark store');

    const loginPassword = randomBytes(18).toString('base64url');
    const plan = groupPlan(persons);
    const keys = Array.from({ length: persons }, (_, i) => Array.from({ length: i % 3 === 0 ? 2 : 1 }, (_, k) => benchSshKey(`${personName(i)}-${k}@bench`)));
    dir.db.transaction(() => {
      for (let i = 0; i < persons; i++) {
        const name = personName(i);
        dir.createAccount(admin, 'person', { name, displayname: `Bench User ${i}` });
        dir.setAccountPosix(admin, 'person', name, {});
        keys[i].forEach((key, k) => dir.addSshKey(admin, 'person', name, `k${k}`, key));
      }
      for (const g of plan) {
        dir.createGroup(admin, { name: g.name });
        dir.setGroupPosix(admin, g.name, {});
      }
      for (const g of plan) dir.addMembers(admin, g.name, g.members);
    })();
    await dir.setPrimaryPassword(LOGIN_USER, loginPassword);

    const users = dir.listUnixAccounts().map((a) => ({ name: a.name, uid: a.uidnumber, gid: a.gidnumber }));
    const kindOf = new Map(plan.map((p) => [p.name, p.kind]));
    const groups = dir.listUnixGroups().filter((g) => kindOf.has(g.name))
      .map((g) => ({ name: g.name, gid: g.gidnumber, members: g.members.length, kind: kindOf.get(g.name) }));
    return {
      users,
      groups,
      keys: keys.reduce((n, k) => n + k.length, 0),
      loginUser: LOGIN_USER,
      loginPassword,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    dir.close();
  }
}
