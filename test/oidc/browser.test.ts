/**
 * Single sign-on in a real browser (Debian Chromium through playwright-core) with openid-client as
 * the application: an administrator connects an application with the `ward` CLI as the README
 * shows; a person signs in to it through Ward's sign-in page, sees the consent page once, and the
 * application gets a code it exchanges (PKCE) for tokens whose ID token verifies against the JWKS
 * and carries the mapped claims, which userinfo repeats. The next sign-ins ask nothing; a person
 * outside the application's groups ends on "access denied" with no code; the apps page lists the
 * application for those who may use it. The application's web side does not exist: the request
 * the browser makes to its redirect URL carries the code (or the error), which is what an
 * application reads. Screenshots go to test-artifacts/screenshots/.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { newContext, screenshot, startUi, type UiServer } from '../browser/harness.js';
import { signInWithPassword, signOut } from '../browser/flows.js';
import { APP_ORIGIN, REDIRECT, authRequest, client, exchange, person, relyingParty, ssoOn, type Sso } from './support.js';

const PASSWORD = 'lantern meadow quartz 42';

let ui: UiServer;
let sso: Sso;
let config: client.Configuration;

/**
 * The application's side of the browser: the request the browser makes to the redirect URL (the
 * application itself does not exist; the browser's attempt to reach it carries the code).
 */
function toApplication(page: Page): Promise<URL> {
  return page.waitForRequest((r) => r.url().startsWith(`${APP_ORIGIN}/`), { timeout: 15_000 }).then((r) => new URL(r.url()));
}

/** Navigate where the browser will end at the (unreachable) application. */
async function open(page: Page, url: string): Promise<void> {
  await page.goto(url).catch((e: Error) => {
    if (!/ERR_NAME_NOT_RESOLVED|interrupted/.test(e.message)) throw e;
  });
}

beforeAll(async () => {
  ui = await startUi();
  sso = await ssoOn(ui.srv);
  // The administrator's side, exactly as the README: create, redirect URL, scope map, claim map.
  await person(sso, 'alice', PASSWORD, ['grafana_users', 'grafana_admins']);
  await person(sso, 'bob', PASSWORD, ['staff']);
  await sso.cli.oauth2('create', 'grafana', 'Grafana', `${APP_ORIGIN}/`);
  await sso.cli.oauth2('add-redirect-url', 'grafana', REDIRECT);
  await sso.cli.oauth2('update-scope-map', 'grafana', 'grafana_users', 'openid', 'profile', 'email', 'groups');
  await sso.cli.oauth2('update-claim-map', 'grafana', 'grafana_role', 'grafana_admins', 'Admin');
  await sso.cli.oauth2('update-claim-map-join', 'grafana', 'grafana_role', 'ssv');
  const secret = (await sso.cli.oauth2('show-basic-secret', 'grafana')).trim();
  config = await relyingParty(sso, 'grafana', secret);
}, 90_000);

afterAll(async () => {
  await ui?.close();
  await sso?.close();
});

describe('a person signs in to an application', () => {
  let ctx: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    ctx = await newContext(ui);
  });
  // A tab per test, one browser (same cookies): a test ending at the unreachable application
  // leaves its tab on the browser's error page, which must not cut into the next test's navigation.
  beforeEach(async () => {
    page = await ctx.newPage();
  });
  afterEach(async () => page?.close());
  afterAll(async () => ctx?.close());

  it('signs in through Ward, agrees once, and the application gets verified tokens with the mapped claims', async () => {
    const req = await authRequest(config);
    await page.goto(req.url.href);
    await page.waitForURL('**/ui/login**');
    await page.getByLabel('Name', { exact: true }).fill('alice');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.waitForURL('**/oauth2/interaction/**');
    expect(await page.locator('h1').textContent()).toBe('Allow Grafana?');
    const listed = await page.locator('main li').allTextContents();
    expect(listed.join('\n')).toMatch(/email address/);
    expect(listed.join('\n')).toMatch(/grafana_role/);
    await screenshot(page, 'oidc-consent');
    const arrived = toApplication(page);
    await page.getByRole('button', { name: 'Allow' }).click();

    const callback = await arrived;
    expect(callback.searchParams.get('code')).toBeTruthy();
    const tokens = await exchange(config, callback.href, req);
    // openid-client verified the ID token's signature against /oauth2/jwks, iss, aud, nonce, exp.
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({
      iss: sso.srv.origin,
      aud: 'grafana',
      preferred_username: 'alice',
      name: 'Alice Tester',
      email: 'alice@example.test',
      email_verified: true,
      grafana_role: 'Admin',
      amr: ['pwd'],
    });
    expect(claims.groups).toEqual(expect.arrayContaining(['grafana_users', 'grafana_admins']));
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(userinfo).toMatchObject({ sub: claims.sub, preferred_username: 'alice', email: 'alice@example.test', grafana_role: 'Admin', groups: claims.groups });
  });

  it('asks nothing the second time: straight back to the application', async () => {
    const req = await authRequest(config);
    const arrived = toApplication(page);
    await open(page, req.url.href);
    const tokens = await exchange(config, (await arrived).href, req);
    expect(tokens.claims()!.preferred_username).toBe('alice');
  });

  it('after signing out and in again, still no consent page', async () => {
    await page.goto('/ui/apps');
    await signOut(page);
    const req = await authRequest(config);
    await page.goto(req.url.href);
    await page.waitForURL('**/ui/login**');
    await page.getByLabel('Name', { exact: true }).fill('alice');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    const arrived = toApplication(page);
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect((await exchange(config, (await arrived).href, req)).claims()!.preferred_username).toBe('alice');
  });

  it('lists the application on the apps page with its landing URL', async () => {
    await page.goto('/ui/apps');
    const link = page.getByRole('link', { name: /Grafana/ });
    expect(await link.getAttribute('href')).toBe(`${APP_ORIGIN}/`);
    await screenshot(page, 'oidc-apps');
  });
});

describe('a person outside the application\u2019s groups', () => {
  it('ends on "access denied" with no code, and the application hears access_denied', async () => {
    const ctx = await newContext(ui);
    try {
      const page = await ctx.newPage();
      let reached: URL | undefined;
      page.on('request', (r) => {
        if (r.url().startsWith(`${APP_ORIGIN}/`)) reached = new URL(r.url());
      });
      await signInWithPassword(page, 'bob', PASSWORD);
      await page.goto('/ui/apps');
      expect(await page.getByRole('link', { name: /Grafana/ }).count()).toBe(0);

      const req = await authRequest(config);
      const response = await page.goto(req.url.href);
      await page.waitForURL('**/oauth2/interaction/**');
      expect(response?.status()).toBe(403);
      expect(await page.locator('h1').textContent()).toBe('Access denied');
      expect(await page.locator('main').textContent()).toMatch(/bob.*may not use.*Grafana/s);
      await screenshot(page, 'oidc-access-denied');
      expect(reached).toBeUndefined();

      const arrived = toApplication(page);
      await page.getByRole('button', { name: 'Back to Grafana' }).click();
      const callback = await arrived;
      expect(callback.searchParams.get('error')).toBe('access_denied');
      expect(callback.searchParams.get('code')).toBeNull();
    } finally {
      await ctx.close();
    }
  });
});
