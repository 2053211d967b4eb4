/**
 * The single sign-on benchmark (issue 6 §6): a real `wardd` child (HTTPS on 127.0.0.1, SQLite with
 * synchronous=FULL, oidc-provider), a confidential client registered through the REST API, persons
 * with passwords, and the protocol driven over HTTPS by raw requests (the token endpoint with
 * client_secret_basic, userinfo with a bearer token) and by FormAgent (the sign-in and consent
 * forms, no browser):
 *
 *   - token endpoint: authorization code exchanges (codes made beforehand by an IdP session, PKCE
 *     S256), refresh token grants (each rotating its token), client credentials grants; and
 *     userinfo: requests per second, per wardd CPU second ("per core"), p50/p99 latency;
 *   - a whole sign-in without a browser: authorization request, sign-in page, name, password
 *     (argon2id), consent, code, code exchange; and the same for a person already signed in;
 *   - wardd's resident memory with 10,000 active sessions (each a provider session, a grant,
 *     an access and a refresh token, made by authorization requests of an IdP session);
 *   - against Keycloak's published sizing: 120 refresh-token or client-credentials requests per
 *     second per vCPU and 1,250 MB per node (Keycloak 26 "Concepts for sizing CPU and memory
 *     resources"); the target is at least twice the throughput in a tenth of the memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib/paths.mjs';
import { cpuSecondsOf, fmt, memoryOf, percentile, progress, table } from './lib/stats.mjs';

const dist = (p) => import(pathToFileURL(path.join(ROOT, 'packages', p)).href);
const { startTestServer, adminToken, OriginClient, FormAgent } = await dist('server/dist/testing/index.js');
const { openDirectory } = await dist('server/dist/directory/index.js');
const { WardClient } = await dist('client/dist/index.js');

const PERSONS = 4;
const PASSWORD = (i) => `bench sso passphrase ${i} amber`;
const REDIRECT = 'https://app.bench.test/oauth/callback';
const CLIENTS = 4;
const LOAD_MS = 5_000;
const CODES = 1_200;
const SIGNIN_FLOWS = 30;
const SESSIONS = 10_000;
/** Memory is read again after this long without requests (V8 gives back what it no longer needs). */
const REST_MS = 15_000;
const KEYCLOAK_PER_VCPU = 120;
const KEYCLOAK_MB = 1_250;

const b64url = (buf) => buf.toString('base64url');

/** The Environment= lines of the shipped unit (systemd/wardd.service): wardd runs here as deployed. */
function unitEnvironment() {
  const unit = readFileSync(path.join(ROOT, 'systemd', 'wardd.service'), 'utf8');
  return Object.fromEntries([...unit.matchAll(/^Environment=([A-Za-z_][A-Za-z0-9_]*)=(.*)$/gm)].map((m) => [m[1], m[2]]));
}

/** An authorization URL with a fresh PKCE pair. */
function authorization(origin, scope = 'openid profile email') {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const q = new URLSearchParams({ client_id: 'bench', response_type: 'code', redirect_uri: REDIRECT, scope, state: b64url(randomBytes(12)), code_challenge: challenge, code_challenge_method: 'S256' });
  return { url: `${origin}/oauth2/authorize?${q}`, verifier };
}

/** Closed-loop requests by `clients` workers for `ms`; `request(k)` returns a promise of an ok flag. */
async function load(server, clients, ms, request) {
  const latencies = [];
  let errors = 0;
  let stop = false;
  const worker = async (k) => {
    while (!stop) {
      const t0 = performance.now();
      if (!(await request(k).catch(() => false))) errors++;
      latencies.push(performance.now() - t0);
    }
  };
  const cpu0 = cpuSecondsOf(server.pid);
  const t0 = performance.now();
  const timer = setTimeout(() => (stop = true), ms);
  await Promise.all(Array.from({ length: clients }, (_, k) => worker(k)));
  clearTimeout(timer);
  return { latencies, errors, seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSecondsOf(server.pid) - cpu0 };
}

/** Run `n` tasks with `clients` at a time; same result shape as load(). */
async function batch(server, clients, n, task) {
  const latencies = [];
  let errors = 0;
  let next = 0;
  const cpu0 = cpuSecondsOf(server.pid);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < n) {
      const i = next++;
      const s = performance.now();
      if (!(await task(i).catch(() => false))) errors++;
      latencies.push(performance.now() - s);
    }
  }));
  return { latencies, errors, seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSecondsOf(server.pid) - cpu0 };
}

export async function runOAuth2Bench() {
  const out = ['## Single sign-on: OAuth2 / OpenID Connect (issue 6 §6)\n'];
  progress('oauth2: starting wardd, registering a client and persons');
  const env = unitEnvironment();
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env); // inherited by the wardd child (and its restart below)
  const server = await startTestServer({ process: true, domain: 'bench.test', config: { login_failure_limit: 1000, auth_lock_threshold: 100 } });
  const http = new OriginClient(server, { maxSockets: 32 });
  try {
    const admin = new WardClient({ url: server.url, caPath: server.caPath, token: await adminToken(server, 'admin') });
    await admin.call('group_create', { body: { name: 'bench_users' } });
    for (let i = 0; i < PERSONS; i++) await admin.call('person_create', { body: { name: `p${i}`, displayname: `Person ${i}`, mail: [`p${i}@bench.test`] } });
    await admin.call('group_members_add', { params: { id: 'bench_users' }, body: { members: Array.from({ length: PERSONS }, (_, i) => `p${i}`) } });
    await admin.call('oauth2_create', { body: { name: 'bench', displayname: 'Bench app', landing_url: 'https://app.bench.test/', public: false } });
    await admin.call('oauth2_redirect_url_add', { params: { id: 'bench' }, body: { url: REDIRECT } });
    await admin.call('oauth2_scope_map_set', { params: { id: 'bench', group: 'bench_users' }, body: { scopes: ['openid', 'profile', 'email', 'groups'] } });
    await admin.call('oauth2_claim_map_set', { params: { id: 'bench', claim: 'role', group: 'bench_users' }, body: { values: ['viewer'] } });
    const { client_secret: secret } = await admin.call('oauth2_basic_secret_get', { params: { id: 'bench' } });
    admin.close();
    await server.stop();
    const directory = openDirectory({ dbPath: server.dbPath, domain: server.domain });
    for (let i = 0; i < PERSONS; i++) await directory.setPrimaryPassword(`p${i}`, PASSWORD(i));
    directory.close();
    await server.start();

    const basic = `Basic ${Buffer.from(`bench:${secret}`).toString('base64')}`;
    const token = async (form) => {
      const res = await http.fetch(`${server.origin}/oauth2/token`, { method: 'POST', headers: { authorization: basic }, body: new URLSearchParams(form) });
      const body = await res.json();
      if (res.status !== 200) throw new Error(`${body.error}: ${body.error_description}`);
      return body;
    };
    const exchange = (code, verifier) => token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });

    progress('oauth2: whole sign-ins without a browser');
    const flows = [];
    const agents = [];
    for (let i = 0; i < SIGNIN_FLOWS; i++) {
      const agent = new FormAgent(http);
      const t0 = performance.now();
      const a = authorization(server.origin);
      const page = await agent.authorize(a.url, { name: `p${i % PERSONS}`, password: PASSWORD(i % PERSONS), consent: 'allow' });
      await exchange(new URL(page.location).searchParams.get('code'), a.verifier);
      flows.push(performance.now() - t0);
      if (agents.length < CLIENTS) agents.push(agent);
    }
    const signedIn = [];
    for (let i = 0; i < SIGNIN_FLOWS; i++) {
      const t0 = performance.now();
      const a = authorization(server.origin);
      const page = await agents[i % agents.length].walk('GET', a.url);
      await exchange(new URL(page.location).searchParams.get('code'), a.verifier);
      signedIn.push(performance.now() - t0);
    }

    progress('oauth2: code exchanges');
    const codes = [];
    await batch(server, 16, CODES, async (i) => {
      const a = authorization(server.origin);
      const page = await agents[i % agents.length].walk('GET', a.url);
      codes.push({ code: new URL(page.location).searchParams.get('code'), verifier: a.verifier });
      return true;
    });
    const issued = [];
    const exchanges = await batch(server, CLIENTS, codes.length, async (i) => {
      issued.push(await exchange(codes[i].code, codes[i].verifier));
      return true;
    });

    progress('oauth2: refresh, client credentials, userinfo');
    const chains = issued.slice(0, CLIENTS).map((t) => t.refresh_token);
    const refresh = await load(server, CLIENTS, LOAD_MS, async (k) => {
      chains[k] = (await token({ grant_type: 'refresh_token', refresh_token: chains[k] })).refresh_token;
      return true;
    });
    const credentials = await load(server, CLIENTS, LOAD_MS, async () => Boolean((await token({ grant_type: 'client_credentials' })).access_token));
    const accessTokens = issued.slice(CLIENTS, CLIENTS * 2).map((t) => t.access_token);
    const userinfo = await load(server, CLIENTS, LOAD_MS, async (k) => {
      const res = await http.fetch(`${server.origin}/oauth2/userinfo`, { headers: { authorization: `Bearer ${accessTokens[k]}` } });
      const body = await res.json();
      return res.status === 200 && body.sub !== undefined;
    });

    progress(`oauth2: ${SESSIONS.toLocaleString('en-US')} active sessions`);
    const before = memoryOf(server.pid);
    const ward = agents[0].cookie('__Host-ward_session');
    const sessions = await batch(server, 16, SESSIONS, async () => {
      const agent = new FormAgent(http);
      agent.setCookie('__Host-ward_session', ward);
      const a = authorization(server.origin);
      const page = await agent.walk('GET', a.url);
      await exchange(new URL(page.location).searchParams.get('code'), a.verifier);
      return true;
    });
    const busy = memoryOf(server.pid);
    await new Promise((r) => setTimeout(r, REST_MS));
    const after = memoryOf(server.pid);

    const row = (name, r) => {
      const n = r.latencies.length;
      return [name, n, fmt(n / r.seconds), fmt(percentile(r.latencies, 0.5)), fmt(percentile(r.latencies, 0.99)), fmt(n / r.cpuSeconds), r.errors];
    };
    out.push(`wardd runs as a child process; the load generator (this Node process, ${CLIENTS} concurrent clients over kept-alive HTTPS ` +
      'connections) shares the machine\'s cores with it, so "per core" divides the requests by the CPU seconds wardd itself used. ' +
      'Every token request authenticates the client (client_secret_basic) and writes its tokens to SQLite with an fsync ' +
      '(synchronous=FULL); opaque access and refresh tokens, ES256 ID tokens.\n');
    out.push(table(
      ['request', 'count', 'req/s', 'p50 ms', 'p99 ms', 'req/s per core', 'errors'],
      [
        row('token: authorization_code (+ PKCE, ID token)', exchanges),
        row('token: refresh_token (rotation, ID token)', refresh),
        row('token: client_credentials', credentials),
        row('userinfo (bearer access token)', userinfo),
      ],
    ));
    const perCore = (r) => r.latencies.length / r.cpuSeconds;
    const worst = Math.min(perCore(refresh), perCore(credentials));
    out.push(`\n**Refresh and client-credentials requests per core: ${fmt(perCore(refresh))}/s and ${fmt(perCore(credentials))}/s** ` +
      `against Keycloak's published ${KEYCLOAK_PER_VCPU} per vCPU: ${fmt(worst / KEYCLOAK_PER_VCPU, 2)}× at the lower one ` +
      `(target ≥ 2×: ${worst >= 2 * KEYCLOAK_PER_VCPU ? 'met' : 'NOT met'}).\n`);
    out.push(table(
      ['whole sign-in, no browser', 'samples', 'p50 ms', 'p99 ms'],
      [
        ['authorization request → sign-in page → name → password (argon2id) → consent → code → code exchange', flows.length, fmt(percentile(flows, 0.5)), fmt(percentile(flows, 0.99))],
        ['the same, already signed in at the IdP (authorization request → code → code exchange)', signedIn.length, fmt(percentile(signedIn, 0.5)), fmt(percentile(signedIn, 0.99))],
      ],
    ));
    out.push('');
    const envText = Object.entries(env).map(([k, v]) => `${k}=${v}`).join(', ') || 'none';
    out.push(table(
      ['wardd memory', 'RSS MiB', 'RssAnon MiB', 'peak RSS MiB'],
      [
        ['after the load above', fmt(before.rss), fmt(before.anon), fmt(before.hwm)],
        [`right after making ${SESSIONS.toLocaleString('en-US')} more active sessions (${fmt(sessions.seconds)} s, ${sessions.errors} errors)`, fmt(busy.rss), fmt(busy.anon), fmt(busy.hwm)],
        [`the same ${SESSIONS.toLocaleString('en-US')} sessions active, ${REST_MS / 1000} s without requests`, fmt(after.rss), fmt(after.anon), fmt(after.hwm)],
      ],
    ));
    const mb = after.rss * 1.048576;
    out.push(`\nwardd runs with the environment of systemd/wardd.service (${envText}). Sessions, grants and tokens live in SQLite, ` +
      `not in the process: **${fmt(after.rss)} MiB (${fmt(mb)} MB) RSS** with ${SESSIONS.toLocaleString('en-US')} active sessions ` +
      `(${fmt(busy.rss)} MiB while busy) against Keycloak's published ${KEYCLOAK_MB.toLocaleString('en-US')} MB per node: ` +
      `${fmt(mb / KEYCLOAK_MB, 2)}× (target ≤ 0.1×: ${mb <= KEYCLOAK_MB / 10 ? 'met' : 'NOT met'}; while busy ${fmt((busy.rss * 1.048576) / KEYCLOAK_MB, 2)}×).\n`);
    return out.join('\n');
  } finally {
    http.close();
    await server.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  runOAuth2Bench().then((text) => process.stdout.write(`${text}\n`), (e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
  });
}
