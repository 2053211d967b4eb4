#!/usr/bin/env node
/**
 * The host-logins benchmark (issue 4 §7): what a login costs on a host enrolled with Ward, beside
 * the SSSD + OpenLDAP baseline measured on this kind of machine (../shared/bench/peers, N=10,000
 * column; SSSD's login rows barely move with N).
 *
 * Everything is real: `wardd` holding the benchmark directory (lib/dataset.mjs: 10,000 persons in
 * 1,000 nested groups, as the baseline's N=10,000), `ward-unixd` as nobody (lib/unixd.mjs) with
 * allowed_login_groups = dep0 (the login user is in it through grp0 -> team0 -> dep0),
 * `ward-unixd-tasks` as root, the built libnss_ward.so.2, pam_ward.so and key command, a real
 * sshd with UsePAM yes, pamtester and the ssh client, inside one private mount namespace
 * (lib/login-env.mjs) that also holds a local user who exists nowhere else. The PAM stacks are
 * the baseline's with pam_sss replaced by pam_ward.
 *
 * Rows: (1) one ssh login of a directory user and of the local user, and the difference;
 * (2) pamtester authenticate + acct_mgmt, online and with wardd stopped (offline: the cached hash
 * of the last good password); (3) RSS of every host process (ward-unixd + ward-unixd-tasks)
 * against all five SSSD processes; (4) wardd hung (SIGSTOP): the 1st and 2nd ssh login of a
 * cached user. It measures and prints; it asserts nothing about speed.
 *
 * `node test/bench/run.mjs logins`, or alone: `node test/bench/logins.mjs` after `npm run build`.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HostTools, compileBench } from './lib/host-tools.mjs';
import { KEYCMD } from './lib/namespace.mjs';
import { LoginHost, localAccountFiles, loginUnavailable, makeSshKey, sshArgv, startSshd } from './lib/login-env.mjs';
import { ROOT } from './lib/paths.mjs';
import { fmt, machineInfo, memoryOf, percentile, progress, ratio, sleep, table } from './lib/stats.mjs';
import { startUnixd } from './lib/unixd.mjs';
import { adminToken, startLoadedWardd } from './lib/wardd.mjs';

const dist = (p) => import(pathToFileURL(path.join(ROOT, 'packages', p)).href);
const { WardClient } = await dist('client/dist/index.js');
const { freePort } = await dist('server/dist/testing/index.js');
const TASKS_BIN = path.join(ROOT, 'packages/unixd/dist/bin/ward-unixd-tasks.js');

const RUNS = 20; // timed runs per row (after WARMUP untimed ones)
/**
 * Login pairs: a login costs ~0.2 s with a spread of tens of ms on a shared VM, and the
 * difference between the two users is a few ms, so it needs more pairs than the other rows.
 */
const LOGIN_PAIRS = 40;
const WARMUP = 3;
const LOGIN_GROUP = 'dep0';
const LOCAL = { name: 'benchlocal', uid: 59999, gid: 59999, home: '/home/benchlocal', shell: '/bin/sh' };
const SECTION = '## Host logins (issue 4)';

/** run-sssd-baseline.sh's /etc/pam.d/sshd with pam_sss replaced by pam_ward (session: pam/README.md's line). */
const SSHD_PAM = `# /etc/pam.d/sshd of the login benchmark: the SSSD baseline's stack, pam_sss -> pam_ward
auth     [success=2 default=ignore]  pam_unix.so nullok
auth     [success=1 default=ignore]  pam_ward.so use_first_pass
auth     requisite                   pam_deny.so
auth     required                    pam_permit.so
account  [success=1 new_authtok_reqd=done default=ignore] pam_unix.so
account  requisite                   pam_deny.so
account  required                    pam_permit.so
account  sufficient                  pam_localuser.so
account  [default=bad success=ok user_unknown=ignore] pam_ward.so
session  required                    pam_permit.so
session  required                    pam_unix.so
session  [default=bad success=ok user_unknown=ignore] pam_ward.so
`;
/** The baseline's sss-bench service (what its pamtester row ran), pam_sss -> pam_ward. */
const CHECK_PAM = `# ward-bench: the SSSD baseline's sss-bench service, pam_sss -> pam_ward
auth     [success=1 default=ignore]  pam_ward.so
auth     requisite                   pam_deny.so
auth     required                    pam_permit.so
account  [default=bad success=ok user_unknown=ignore] pam_ward.so
account  required                    pam_permit.so
`;

/** A baseline value as recorded ("156.2 (p90 160.5, max 160.5)"), for the p90 numbers.get() leaves out. */
function baselineP90(view, metric) {
  const m = /p90 ([\d.]+)/.exec(view.raw(metric) ?? '');
  return m ? Number(m[1]) : undefined;
}

/** `baseline`: the run's SssdBaseline (lib/sssd.mjs); its N=10,000 rows are the peer here. */
export async function runLoginsBench({ baseline }) {
  const why = loginUnavailable();
  if (why) return `${SECTION}\n\nNot measured: ${why}.\n`;
  const sssd = await baseline.at(10_000);
  const S = (metric, i = 0) => sssd.get(metric)?.[i];
  const load0 = os.loadavg()[0];
  const work = mkdtempSync(path.join(tmpdir(), 'ward-bench-logins-'));
  chmodSync(work, 0o755); // ward-unixd (nobody) reads the local account copies here
  progress('logins: starting wardd and loading 10,000 persons');
  const { server, data } = await startLoadedWardd();
  let unixd;
  let host;
  let hung = false;
  try {
    // The login user gets a key ssh can sign with (the loader's keys are random blobs) and a unix password.
    const key = makeSshKey(work, data.loginUser);
    const admin = new WardClient({ url: server.url, caPath: server.caPath, token: await adminToken(server) });
    await admin.call('person_ssh_add', { params: { id: data.loginUser }, body: { tag: 'login', key: key.publicKey } });
    // pam_ward checks the unix password, which is not the primary (web) one the loader set.
    const unixPassword = randomBytes(18).toString('base64url');
    await admin.call('person_unix_password_set', { params: { id: data.loginUser }, body: { password: unixPassword } });
    admin.close();
    const user = data.loginUser;

    // The local user: in copies of the account files (bind-mounted in the namespace), with its
    // key in the root-owned per-user folder sshd's AuthorizedKeysFile names, as the baseline.
    const accounts = localAccountFiles(work, LOCAL);
    const localKey = makeSshKey(work, LOCAL.name);
    const authorizedKeysDir = path.join(work, 'authorized_keys');
    mkdirSync(authorizedKeysDir, { mode: 0o755 });
    writeFileSync(path.join(authorizedKeysDir, LOCAL.name), `${localKey.publicKey}\n`, { mode: 0o644 });

    // ward-unixd from lib/unixd.mjs, then the login settings added and the daemon restarted on
    // them: who may log in, the local files holding the local user, and the baseline's shell.
    unixd = await startUnixd(server);
    await unixd.stop();
    writeFileSync(unixd.configPath, readFileSync(unixd.configPath, 'utf8') + [
      `allowed_login_groups = [${JSON.stringify(LOGIN_GROUP)}]`,
      `local_passwd_file = ${JSON.stringify(accounts.passwd)}`,
      `local_group_file = ${JSON.stringify(accounts.group)}`,
      'default_shell = "/bin/sh"',
      '',
    ].join('\n'));
    await unixd.start();
    const status = await unixd.waitForRefresh(data.users.length);
    progress(`logins: ward-unixd pid ${unixd.pid} cached ${status.users} users`);

    host = await LoginHost.create({
      dir: work,
      accounts,
      pamServices: { sshd: SSHD_PAM, 'ward-bench': CHECK_PAM },
      unixdRun: path.join(unixd.dir, 'run'),
      homes: [{ path: LOCAL.home, uid: LOCAL.uid, gid: LOCAL.gid }],
    });
    const tasks = host.spawn('ward-unixd-tasks', [process.execPath, TASKS_BIN, '-c', unixd.configPath], path.join(work, 'tasks.log'));
    for (let i = 0; (await host.run(['test', '-S', '/run/ward-unixd/tasks.sock'])).code !== 0; i++) {
      if (!tasks.running || i > 200) throw new Error(`ward-unixd-tasks did not listen: ${tasks.log()}`);
      await sleep(50);
    }
    const sshd = await startSshd(host, { authorizedKeysDir, freePort });
    const tools = new HostTools(host, compileBench(work), work);
    const login = (who, k) => sshArgv(sshd.port, k, who);
    const explain = () => `sshd log:\n${sshd.log().slice(-2000)}\nward-unixd log:\n${unixd.log().slice(-2000)}\ntasks log:\n${tasks.log().slice(-1000)}`;

    progress('logins: first logins and checks');
    const firstLogin = await tools.once(login(user, key));
    const check = async (who, k, expected) => {
      const r = await host.run(sshArgv(sshd.port, k, who, 'pwd; id -un'));
      if (r.code !== 0 || r.stdout.trim() !== expected) throw new Error(`ssh ${who}: exit ${r.code}, ${r.stdout}${r.stderr}\n${explain()}`);
    };
    await check(user, key, `/home/${user}\n${user}`);
    await check(LOCAL.name, localKey, `${LOCAL.home}\n${LOCAL.name}`);
    const homeMode = (await host.run(['stat', '-c', '%U %a', `/home/${user}`])).stdout.trim();

    progress(`logins: ssh logins, ${WARMUP} warm-ups and ${LOGIN_PAIRS} runs each, interleaved`);
    const pairs = await interleaved(tools, login(LOCAL.name, localKey), login(user, key));
    const local = spread(pairs.map((p) => p.a));
    const directory = spread(pairs.map((p) => p.b));
    const diffs = pairs.map((p) => p.b - p.a);
    // What the directory adds to a key login, piece by piece (less noisy than the difference of
    // two logins): the key command sshd runs, and PAM account + session as sshd calls them.
    const keyCmd = await tools.wholeProcess([KEYCMD, user], RUNS, WARMUP);
    const pamSession = (who) => tools.wholeProcess(['pamtester', 'sshd', who, 'acct_mgmt', 'open_session', 'close_session'], RUNS, WARMUP);
    const sessionDir = await pamSession(user);
    const sessionLocal = await pamSession(LOCAL.name);

    progress('logins: password checks online');
    const pwFile = path.join(work, 'password');
    writeFileSync(pwFile, `${unixPassword}\n`, { mode: 0o600 });
    const pamCmd = `pamtester ward-bench ${user} authenticate acct_mgmt < ${pwFile}`;
    const pamOnce = () => tools.once(['sh', '-c', pamCmd]);
    const pamOk = await host.run(['sh', '-c', pamCmd]);
    if (pamOk.code !== 0) throw new Error(`pamtester failed online: ${pamOk.stderr}\n${explain()}`);
    const pamOnline = await shellTimes(host, work, pamCmd);

    progress('logins: memory');
    const rssOf = () => {
      const a = memoryOf(unixd.pid);
      const b = memoryOf(tasks.pid);
      return { unixd: a, tasks: b, total: a.rss + b.rss, anon: a.anon + b.anon };
    };
    const memAfterLogins = rssOf();
    for (const db of ['passwd', 'group']) await host.run(['getent', db]);
    const memAfterEnum = rssOf();

    progress('logins: wardd hung (SIGSTOP)');
    const twice = async (argv) => [await tools.once(argv), await tools.once(argv)];
    process.kill(server.pid, 'SIGSTOP');
    hung = true;
    const hungRows = {};
    hungRows.fresh = await twice(login(user, key));
    if ((await unixd.call('CACHE_INVALIDATE', {}, true)).status !== 0) throw new Error('CACHE_INVALIDATE refused');
    hungRows.stale = await twice(login(user, key));
    hungRows.pam = [await pamOnce(), await pamOnce()];
    await unixd.stop();
    await unixd.start();
    hungRows.restarted = await twice(login(user, key));
    hungRows.online = (await unixd.call('STATUS')).msg.online;
    process.kill(server.pid, 'SIGCONT');
    hung = false;
    // Back online before the next phase, so its first login meets a daemon that believes the IdP up.
    let back = false;
    for (const deadline = Date.now() + 30_000; !back && Date.now() < deadline; await sleep(500)) {
      await unixd.call('CACHE_INVALIDATE', {}, true);
      back = (await unixd.call('STATUS')).msg.online === 1;
    }

    progress('logins: wardd stopped (offline)');
    await server.stop();
    const downFirst = await tools.once(login(user, key));
    const downLogin = await tools.wholeProcess(login(user, key), 10, 1);
    const pamOffline = await shellTimes(host, work, pamCmd);
    const offlineLogged = /authenticated offline/.test(unixd.log());
    const memEnd = rssOf();

    // ---- report ----
    const d = directory.median - local.median;
    const signed = (v) => `${v >= 0 ? '+' : ''}${fmt(v)}`;
    const sssdLocal = S('g. ssh login local /etc/passwd user (AuthorizedKeysFile; baseline) (ms)');
    const sssdDir = S('g. ssh login LDAP user via sss_ssh_authorizedkeys + pam_sss (ms)');
    const p90 = (m) => baselineP90(sssd, m);
    const sssdD = sssdDir - sssdLocal;
    const ms = (v, q) => `${fmt(v)}${q === undefined ? '' : ` (p90 ${fmt(q)})`}`;
    const out = [];
    out.push(`${SECTION}\n`);
    out.push('sshd → `kanidm-ssh-authorizedkeys`, `pam_ward.so`, `libnss_ward.so.2` → `ward-unixd` (+ `ward-unixd-tasks`) → `wardd`. ' +
      `${data.users.length.toLocaleString('en-US')} persons in ${data.groups.length.toLocaleString('en-US')} nested groups in wardd; ward-unixd as nobody ` +
      `(cache filled: ${status.users} users), allowed_login_groups = ["${LOGIN_GROUP}"] (the login user ${user} is in it through grp0 ⊂ team0 ⊂ dep0), ` +
      'ward-unixd-tasks as root, sshd (OpenSSH, UsePAM yes) on 127.0.0.1 with the baseline\'s sshd_config and PAM stacks, pam_sss replaced by ' +
      'pam_ward.so (session: it asks for the home directory). The local user exists only in the namespace\'s copies of /etc/passwd, shadow and group; ' +
      `its key is in the AuthorizedKeysFile folder; both users' shell is /bin/sh, as the baseline's. ` +
      (sssd.available ? `SSSD column: N=10,000, ${baseline.describe()} (${sssd.versions}).` : `No SSSD baseline: ${sssd.why}.`) + '\n');

    out.push('### One ssh login (`ssh … user@127.0.0.1 true`), ms: median (p90)\n');
    out.push(table(['login', 'Ward', 'SSSD', 'ratio (median)'], [
      ['local user (AuthorizedKeysFile, pam_unix)', ms(local.median, local.p90), ms(sssdLocal, p90('g. ssh login local /etc/passwd user (AuthorizedKeysFile; baseline) (ms)')), ratio(local.median, sssdLocal)],
      ['directory user (key command + pam_ward / pam_sss)', ms(directory.median, directory.p90), ms(sssdDir, p90('g. ssh login LDAP user via sss_ssh_authorizedkeys + pam_sss (ms)')), ratio(directory.median, sssdDir)],
      ['**directory − local** (difference of the medians)', `**${signed(d)}**`, `**${signed(sssdD)}**`, diffRatio(d, sssdD)],
      [`directory − local, paired: median [p25, p75] of the ${LOGIN_PAIRS} differences`,
        `${signed(percentile(diffs, 0.5))} [${signed(percentile(diffs, 0.25))}, ${signed(percentile(diffs, 0.75))}]`, '–', diffRatio(percentile(diffs, 0.5), sssdD)],
      ['directory / local', `${fmt(directory.median / local.median, 3)}×`, `${fmt(sssdDir / sssdLocal, 3)}×`, '–'],
      ['of which: the key command sshd runs (`kanidm-ssh-authorizedkeys user`; SSSD: `sss_ssh_authorizedkeys`), median', ms(keyCmd.median, keyCmd.p90),
        fmt(S('c. sss_ssh_authorizedkeys <user> warm (ms)')), ratio(keyCmd.median, S('c. sss_ssh_authorizedkeys <user> warm (ms)'))],
      ['of which: PAM account + session (`pamtester sshd USER acct_mgmt open_session close_session`), directory / local user, median',
        `${fmt(sessionDir.median)} / ${fmt(sessionLocal.median)} (${signed(sessionDir.median - sessionLocal.median)})`, '– (not in baseline)', '–'],
      ['first login of the directory user ever (home made by ward-unixd-tasks), one-shot', fmt(firstLogin.ms), '– (its homes were never made)', '–'],
    ]));
    out.push(`\nLogin rows: one-shots timed by nss_bench (posix_spawn to exit, as hyperfine -N), ${WARMUP} warm-up pairs, then ${LOGIN_PAIRS} pairs, ` +
      'the two users alternating (local, directory, then directory, local, ...) so both rows see the same load; the baseline: hyperfine, 3 and 10 runs. ' +
      'The local row is the floor of this machine: compare the differences, not the absolute times, across the two machines; ' +
      'a difference inside its [p25, p75] band of noise means the directory costs less than this run can tell. ' +
      `The "of which" rows: hyperfine -N, ${WARMUP} warm-ups and ${RUNS} runs. ` +
      `The directory user's home was made on its first login (${homeMode}: owner and mode). ` +
      `The difference is the whole price of the directory on a login: the key command, NSS lookups through ward-unixd and pam_ward's account and session requests.\n`);

    out.push('### PAM password check (`pamtester ward-bench USER authenticate acct_mgmt`), median ms\n');
    const sssdPam = S('g. pamtester authenticate+acct_mgmt (LDAP bind via pam_sss) (ms, median of 5)');
    out.push(table(['IdP', 'Ward median (p90)', 'SSSD', 'ratio'], [
      ['online (checked by wardd)', ms(pamOnline.median, pamOnline.p90), fmt(sssdPam), ratio(pamOnline.median, sssdPam)],
      [`wardd stopped: offline, against the cached hash${offlineLogged ? '' : ' (no "authenticated offline" in the log!)'}`, ms(pamOffline.median, pamOffline.p90), `${fmt(sssdPam)} (online: the baseline has no offline check)`, ratio(pamOffline.median, sssdPam)],
      ['wardd hung (SIGSTOP), cached user: 1st / 2nd check, one-shot', `${fmt(hungRows.pam[0].ms)} / ${fmt(hungRows.pam[1].ms)} (rc ${hungRows.pam[0].rc} / ${hungRows.pam[1].rc})`, '– (not in baseline)', '–'],
    ]));
    out.push(`\nhyperfine -S sh (the shell's start-up measured and subtracted), ${WARMUP} warm-ups and ${RUNS} runs, the password read from a file. ` +
      'SSSD\'s row: median of 5 one-shots of `echo pw | pamtester` (an LDAP simple bind). Online, wardd verifies the password with argon2id and ' +
      'ward-unixd then stores its own argon2id hash of it for offline use; offline, ward-unixd verifies that hash. The hung rows are one-shots ' +
      'through `sh -c` (about 1 ms more), taken between the hung login rows below; a check waits for the IdP at most idp_timeout_ms (2,000 ms) before the cached hash decides.\n');

    out.push('### Memory: every host process\n');
    const allSssd = sssd.get('h. RSS all sssd processes (MiB) [RssAnon]');
    const memRow = (label, m) => [label, `${fmt(m.unixd.rss)} [${fmt(m.unixd.anon)}]`, `${fmt(m.tasks.rss)} [${fmt(m.tasks.anon)}]`,
      `**${fmt(m.total)}** [${fmt(m.anon)}]`, allSssd ? `${fmt(allSssd[0])} [${fmt(allSssd[1])}]` : '–', ratio(m.total, allSssd?.[0])];
    out.push(table(['when', 'ward-unixd MiB [anon]', 'ward-unixd-tasks', 'Ward total', 'SSSD, all 5 processes', 'ratio'], [
      memRow('after the login and password rows', memAfterLogins),
      memRow('after a full `getent passwd` and `getent group`', memAfterEnum),
      memRow('at the end (ward-unixd restarted in the hung phase; after the offline rows)', memEnd),
    ]));
    out.push(`\nVmRSS [RssAnon] from /proc/PID/status, summed over the two host processes (peak VmHWM before the restart: ward-unixd ${fmt(memAfterEnum.unixd.hwm)}, ` +
      `tasks ${fmt(memEnd.tasks.hwm)} MiB). SSSD's figure sums its monitor, sssd_be, sssd_nss, sssd_pam and sssd_ssh at N=10,000 ` +
      '(the host suite has every size). Both of ours are Node.js processes; most of their RSS is the runtime, not the data.\n');

    out.push('### wardd hung (SIGSTOP: its port accepts, nothing answers): ssh login of a cached user, 1st / 2nd, ms\n');
    const sssdHung = sssd.get('f. [slapd hung] ssh login cached LDAP user: 1st / 2nd call (ms)');
    const hungRow = (label, r, note) => [label, `${fmt(r[0].ms)} / ${fmt(r[1].ms)}`, `${r[0].rc} / ${r[1].rc}`,
      sssdHung ? `${fmt(sssdHung[0])} / ${fmt(sssdHung[1])}` : '–', sssdHung ? `${ratio(r[0].ms, sssdHung[0])} / ${ratio(r[1].ms, sssdHung[1])}` : '–', note];
    out.push(table(['state of ward-unixd', 'Ward', 'exit', 'SSSD', 'ratio', 'notes'], [
      hungRow('right after SIGSTOP (still believes the IdP online)', hungRows.fresh, 'the baseline\'s probe: the first request after the hang'),
      hungRow('after cache-invalidate (every entry stale)', hungRows.stale, 'each lookup also asks the hung IdP, in the background'),
      hungRow('ward-unixd restarted while the IdP is hung', hungRows.restarted, `memory layer empty, SQLite cache filled; online=${hungRows.online} afterwards`),
    ]));
    const sssdDown = S('f. [slapd down] ssh login cached LDAP user, 1st op after stop (ms)');
    const sssdDownAgain = S('f. [slapd down] ssh login cached LDAP user, again (ms)');
    out.push(`\nOne-shots (fork+exec timed by nss_bench) in this order. With wardd stopped (connection refused) instead, ` +
      `the 1st login took ${fmt(downFirst.ms)} ms (SSSD ${fmt(sssdDown)}, ${ratio(downFirst.ms, sssdDown)}) and then ${fmt(downLogin.median)} ms ` +
      `median of 10 (SSSD ${fmt(sssdDownAgain)}, ${ratio(downLogin.median, sssdDownAgain)}).` +
      `${back ? '' : ' ward-unixd was not back online 30 s after SIGCONT; the offline rows ran anyway.'}\n`);
    out.push(`Load average (1 min) at the start of this suite ${fmt(load0)}, at the end ${fmt(os.loadavg()[0])}, on ${os.availableParallelism()} CPUs` +
      `${Math.max(load0, os.loadavg()[0]) > 1 ? ': other work ran meanwhile and inflates the absolute times' : ''}.\n`);
    return out.join('\n');
  } finally {
    if (hung) process.kill(server.pid, 'SIGCONT');
    await host?.close();
    await unixd?.close();
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * ssh logins of two users one after the other, in the order a b, b a, a b, ... (after WARMUP
 * pairs), each a one-shot timed by nss_bench: both rows see the same machine load, and each pair
 * gives one difference. Throws when a login fails.
 */
async function interleaved(tools, argvA, argvB) {
  const pairs = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const t = {};
    for (const which of i % 2 === 0 ? ['a', 'b'] : ['b', 'a']) {
      const r = await tools.once(which === 'a' ? argvA : argvB);
      if (r.rc !== 0) throw new Error(`${(which === 'a' ? argvA : argvB).join(' ')} exited with ${r.rc}`);
      t[which] = r.ms;
    }
    if (i >= WARMUP) pairs.push(t);
  }
  return pairs;
}

/** ours / theirs for a difference; a difference at or below zero has no meaningful ratio. */
const diffRatio = (ours, theirs) => (ours <= 0 ? '≈ 0 (≤ 0 here)' : ratio(ours, theirs));

const spread = (samples) => ({ median: percentile(samples, 0.5), p90: percentile(samples, 0.9) });

/** Times `cmd` run through sh inside the namespace with hyperfine, the shell's start-up subtracted. */
async function shellTimes(host, dir, cmd) {
  const json = path.join(dir, 'hyperfine-sh.json');
  const r = await host.run(['hyperfine', '-S', 'sh', '--style', 'none', '--warmup', String(WARMUP), '--runs', String(RUNS), '--export-json', json, cmd]);
  if (r.code !== 0) throw new Error(`hyperfine ${cmd} failed: ${r.stderr.trim()}`);
  const times = JSON.parse(readFileSync(json, 'utf8')).results[0].times.map((s) => s * 1000);
  return { median: percentile(times, 0.5), p90: percentile(times, 0.9) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const m = machineInfo();
  process.stdout.write(`Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`node test/bench/logins.mjs\` on ${m.cpu}, ` +
    `${m.memory} RAM${m.virt ? ` (${m.virt})` : ''}; ${m.os}, kernel ${m.kernel}; Node.js ${m.node}.\n\n`);
  const { SssdBaseline } = await import('./lib/sssd.mjs');
  runLoginsBench({ baseline: new SssdBaseline({ workDir: mkdtempSync(path.join(tmpdir(), 'ward-bench-sssd-')) }) }).then((text) => {
    process.stdout.write(`${text}\n`);
    process.exit(0);
  }, (e) => {
    process.stderr.write(`logins bench: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  });
}
