/**
 * The web UI's HTTP rules against a real server, without a browser: redirects, headers, cookies,
 * CSRF and Origin checks, the `next` rule, sign-out on the server, the reset link's GET that
 * consumes nothing, and the REST API staying JSON-only. (test/browser/ drives the same pages in
 * Chromium.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, rawRequest, startTestServer, type RawResponse, type TestServer } from '../testing/index.js';

let srv: TestServer;
let admin: string;
let origin: string;
const PASSWORD = 'granite willow parade 7304';

/** A cookie jar and the headers a browser page of this origin sends. */
class Browser {
  readonly cookies = new Map<string, string>();

  async request(method: string, path: string, opts: { form?: Record<string, string>; json?: unknown; headers?: Record<string, string> } = {}): Promise<RawResponse> {
    const headers: Record<string, string> = { ...(method === 'POST' ? { origin, 'sec-fetch-site': 'same-origin' } : {}), ...opts.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (opts.form) {
      body = new URLSearchParams(opts.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await rawRequest(srv, { method, path, headers, ...(body !== undefined ? { body } : {}), ...(opts.json !== undefined ? { json: opts.json } : {}) });
    for (const c of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) {
      const [pair] = c.split(';');
      const [name, value] = [pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1)];
      if (/Max-Age=0/.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** The CSRF token of the first form of a page. */
  static csrf(res: RawResponse): string {
    return /name="csrf" value="([^"]+)"/.exec(res.text)![1]!;
  }

  /** Sign in with name and password through the forms; the answer to the password step. */
  async signIn(name: string, password: string, next?: string): Promise<RawResponse> {
    const csrf = Browser.csrf(await this.request('GET', '/ui/login'));
    const step = await this.request('POST', '/ui/login', { form: { csrf, name, ...(next ? { next } : {}) } });
    expect(step.status).toBe(200);
    return this.request('POST', '/ui/login/step', { form: { csrf, kind: 'password', username: name, password, ...(next ? { next } : {}) } });
  }
}

beforeAll(async () => {
  srv = await startTestServer();
  origin = `https://${srv.domain}:${srv.port}`;
  admin = await adminToken(srv);
  for (const name of ['frank', 'gina']) {
    await rawRequest(srv, { method: 'POST', path: '/v1/person', token: admin, json: { name, displayname: name } });
    await srv.directory!.setPrimaryPassword(name, PASSWORD);
  }
}, 60_000);

afterAll(async () => {
  await srv?.close();
});

describe('pages and headers', () => {
  it('sends / to the sign-in page, or to the apps page once signed in', async () => {
    const b = new Browser();
    expect((await b.request('GET', '/')).headers.location).toBe('/ui/login');
    expect((await b.signIn('frank', PASSWORD)).headers.location).toBe('/ui/apps');
    expect((await b.request('GET', '/')).headers.location).toBe('/ui/apps');
    expect((await b.request('GET', '/ui/apps')).status).toBe(200);
  });

  it('answers pages with the security headers and a CSP that allows no inline code', async () => {
    const res = await new Browser().request('GET', '/ui/login');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'same-origin', 'cache-control': 'no-store' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe/);
    expect(res.text).toMatch(/<meta name="viewport" content="width=device-width, initial-scale=1">/);
    // Scripts are files or JSON data, never inline code; no inline styles either.
    for (const tag of res.text.match(/<script[^>]*>/g) ?? []) expect(tag).toMatch(/ src="\/ui\/static\/| type="application\/json"/);
    expect(res.text).not.toMatch(/ style=|<style/);
    const pre = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('__Host-ward_pre='));
    expect(pre).toMatch(/; Path=\/; Secure; HttpOnly; SameSite=Strict$/);
  });

  it('serves its own assets, cacheable for a year only at their versioned URL', async () => {
    const b = new Browser();
    const page = await b.request('GET', '/ui/login');
    const url = /src="(\/ui\/static\/login\.js\?v=[^"]+)"/.exec(page.text)![1]!;
    const versioned = await b.request('GET', url);
    expect(versioned.status).toBe(200);
    expect(versioned.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(versioned.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const plain = await b.request('GET', '/ui/static/simplewebauthn-browser.js');
    expect(plain.text).toContain('SimpleWebAuthnBrowser');
    expect(plain.headers['cache-control']).toBe('no-cache');
    expect((await b.request('GET', '/ui/static/simplewebauthn-browser.js', { headers: { 'if-none-match': String(plain.headers.etag) } })).status).toBe(304);
    expect((await b.request('GET', '/ui/static/../../package.json')).status).toBe(404);
  });

  it('answers unknown pages with an HTML 404, and the REST API stays JSON-only', async () => {
    const res = await new Browser().request('GET', '/ui/nothing-here');
    expect(res.status).toBe(404);
    expect(res.text).toContain('Page not found');
    const form = await rawRequest(srv, { method: 'POST', path: '/v1/auth/login', body: 'name=frank&password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
  });
});

describe('signing in through the forms', () => {
  it('sets an HttpOnly, Secure, SameSite=Lax session cookie and goes to a local `next`', async () => {
    const b = new Browser();
    const res = await b.signIn('frank', PASSWORD, '/ui/profile');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/ui/profile');
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('__Host-ward_session='))!;
    expect(cookie).toMatch(/; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
    expect((await b.request('GET', '/ui/profile')).text).toContain('frank@ward.test');
  });

  it('never redirects off this server', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      expect((await new Browser().signIn('frank', PASSWORD, next)).headers.location).toBe('/ui/apps');
    }
  });

  it('answers a wrong password with the reason and no session', async () => {
    const b = new Browser();
    const res = await b.signIn('gina', 'not her password at all');
    expect(res.status).toBe(401);
    expect(res.text).toContain('The name or the credential is wrong.');
    expect(b.cookies.has('__Host-ward_session')).toBe(false);
  });

  it('starts again when a step arrives without a sign-in in progress', async () => {
    const b = new Browser();
    const csrf = Browser.csrf(await b.request('GET', '/ui/login'));
    const res = await b.request('POST', '/ui/login/step', { form: { csrf, kind: 'password', username: 'frank', password: PASSWORD } });
    expect(res.status).toBe(401);
    expect(res.text).toContain('Your sign-in took too long');
  });

  it('refuses the form without its CSRF token, with another browser\'s token, or from another origin', async () => {
    const b = new Browser();
    const csrf = Browser.csrf(await b.request('GET', '/ui/login'));
    const other = Browser.csrf(await new Browser().request('GET', '/ui/login'));
    for (const [form, headers] of [
      [{ name: 'frank' }, {}],
      [{ name: 'frank', csrf: other }, {}],
      [{ name: 'frank', csrf }, { origin: 'https://evil.example' }],
      [{ name: 'frank', csrf }, { 'sec-fetch-site': 'cross-site' }],
    ] as const) {
      const res = await b.request('POST', '/ui/login', { form, headers });
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    }
    expect((await b.request('POST', '/ui/login', { form: { name: 'frank', csrf } })).status).toBe(200);
  });

  it('refuses malformed forms with a page saying why', async () => {
    const b = new Browser();
    const csrf = Browser.csrf(await b.request('GET', '/ui/login'));
    const res = await rawRequest(srv, {
      method: 'POST', path: '/ui/login', body: `csrf=${csrf}&name=a&name=b`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('The field &quot;name&quot; is repeated.');
  });

  it('wants the CSRF header on the passkey calls of the page script', async () => {
    const b = new Browser();
    const csrf = Browser.csrf(await b.request('GET', '/ui/login'));
    const refused = await b.request('POST', '/ui/login/passkey/begin', { json: {} });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: 'forbidden' });
    const begun = await b.request('POST', '/ui/login/passkey/begin', { json: {}, headers: { 'x-csrf-token': csrf } });
    expect(begun.status).toBe(200);
    expect(begun.json.flow).toEqual(expect.any(String));
    expect(begun.json.options).toMatchObject({ rpId: 'ward.test', userVerification: 'required' });
  });
});

describe('sessions', () => {
  it('signs out only with the token, and then the session is over on the server too', async () => {
    const b = new Browser();
    await b.signIn('frank', PASSWORD);
    const token = b.cookies.get('__Host-ward_session')!;
    expect((await rawRequest(srv, { path: '/v1/auth/whoami', token })).status).toBe(200);
    expect((await b.request('POST', '/ui/logout', { form: {} })).status).toBe(403);
    expect((await rawRequest(srv, { path: '/v1/auth/whoami', token })).status).toBe(200);
    const csrf = Browser.csrf(await b.request('GET', '/ui/apps'));
    const out = await b.request('POST', '/ui/logout', { form: { csrf } });
    expect(out.headers.location).toBe('/ui/login?notice=signed_out');
    expect(b.cookies.has('__Host-ward_session')).toBe(false);
    expect((await rawRequest(srv, { path: '/v1/auth/whoami', token })).status).toBe(401);
  });

  it('treats a revoked or foreign cookie as signed out', async () => {
    const b = new Browser();
    b.cookies.set('__Host-ward_session', 'eyJhbGciOiJFUzI1NiJ9.e30.AAAA');
    const res = await b.request('GET', '/ui/profile');
    expect(res.headers.location).toBe('/ui/login?next=%2Fui%2Fprofile&notice=session_ended');
    expect(b.cookies.has('__Host-ward_session')).toBe(false);
  });
});

describe('reset links', () => {
  it('consume nothing on GET (link previewers), and work once on POST', async () => {
    const made = await rawRequest(srv, { method: 'POST', path: '/v1/person/gina/credential/reset_token', token: admin, json: {} });
    expect(made.status).toBe(201);
    const path = new URL(made.json.url).pathname + new URL(made.json.url).search;
    const b = new Browser();
    expect((await b.request('GET', path)).status).toBe(200);
    const landing = await b.request('GET', path);
    const token = new URL(made.json.url).searchParams.get('token')!;
    const opened = await b.request('POST', '/ui/reset', { form: { csrf: Browser.csrf(landing), token } });
    expect(opened.headers.location).toBe('/ui/credentials');
    expect(b.cookies.has('__Host-ward_cu')).toBe(true);
    expect((await b.request('GET', '/ui/credentials')).text).toContain('Credentials of gina');
    const again = await new Browser().request('POST', '/ui/reset', { form: { csrf: Browser.csrf(landing), token } });
    expect(again.status).toBe(403);
    const b2 = new Browser();
    const landing2 = await b2.request('GET', path);
    expect((await b2.request('POST', '/ui/reset', { form: { csrf: Browser.csrf(landing2), token } })).text).toContain('This link does not work');
  });
});

describe('earlier reset links of a person', () => {
  /** Makes a reset link for `name`; returns its token. */
  async function link(name: string): Promise<string> {
    const made = await rawRequest(srv, { method: 'POST', path: `/v1/person/${name}/credential/reset_token`, token: admin, json: {} });
    expect(made.status).toBe(201);
    return new URL(made.json.url).searchParams.get('token')!;
  }
  /** Opens a reset link in a fresh browser, as its receiver would. */
  async function open(token: string): Promise<{ b: Browser; res: RawResponse }> {
    const b = new Browser();
    const landing = await b.request('GET', `/ui/reset?token=${token}`);
    return { b, res: await b.request('POST', '/ui/reset', { form: { csrf: Browser.csrf(landing), token } }) };
  }

  it('stop working once a newer link is made', async () => {
    await rawRequest(srv, { method: 'POST', path: '/v1/person', token: admin, json: { name: 'hana', displayname: 'hana' } });
    const first = await link('hana');
    const second = await link('hana');
    expect((await open(first)).res.text).toContain('This link does not work');
    expect((await open(second)).res.headers.location).toBe('/ui/credentials');
  });

  it('stop working once the person saves new credentials, and end the update an earlier link opened', async () => {
    await rawRequest(srv, { method: 'POST', path: '/v1/person', token: admin, json: { name: 'ivan', displayname: 'ivan' } });
    await srv.directory!.setPrimaryPassword('ivan', PASSWORD);
    // Someone opened a link meant for ivan; the help desk then makes him a new one.
    const intruder = (await open(await link('ivan'))).b;
    const meanwhile = await link('ivan');
    expect((await intruder.request('GET', '/ui/credentials')).headers.location).toMatch(/notice=cu_expired/);
    // Ivan changes his password himself while the new link is still out: the save ends it.
    const b = new Browser();
    await b.signIn('ivan', PASSWORD);
    const profile = await b.request('GET', '/ui/profile');
    expect((await b.request('POST', '/ui/credentials/start', { form: { csrf: Browser.csrf(profile) } })).headers.location).toBe('/ui/credentials');
    const page = (await b.request('GET', '/ui/credentials')).text;
    // The page's first form is the sign-out; the update's forms carry the update's token.
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.slice(page.indexOf('action="/ui/credentials/password"')))![1]!;
    expect((await b.request('POST', '/ui/credentials/password', { form: { csrf, password: 'quartz meadow signal 9156', confirm: 'quartz meadow signal 9156' } })).status).toBe(303);
    expect((await b.request('POST', '/ui/credentials/commit', { form: { csrf } })).status).toBe(303);
    expect((await open(meanwhile)).res.text).toContain('This link does not work');
  });
});

describe('form bodies', () => {
  it('are refused when their percent-escapes are not UTF-8, instead of becoming U+FFFD', async () => {
    const b = new Browser();
    const csrf = Browser.csrf(await b.request('GET', '/ui/login'));
    const bad = await rawRequest(srv, {
      method: 'POST',
      path: '/ui/login',
      headers: { origin, 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded', cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      body: `csrf=${csrf}&name=fr%C3%28nk`,
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('not valid UTF-8');
  });
});

