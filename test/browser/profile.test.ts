/**
 * The profile in a real browser: a signed-in person sees their details and groups, adds, renames
 * and removes their own SSH keys (validated by the directory as the CLI's are), and reaches the
 * credential page; forms without the CSRF token or sent from another site are refused and change
 * nothing; pages carry the security headers and load nothing the Content-Security-Policy blocks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { SshKey } from '@ward/proto';
import { rawRequest, testSshKey } from '@ward/server/testing';
import { notice, personWithPassword, sessionCookie, signInWithPassword } from './flows.js';
import { newContext, phoneScreenshot, screenshot, startUi, type UiServer } from './harness.js';

const PASSWORD = 'copper meadow signal 5521';

let ui: UiServer;
let ctx: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  ui = await startUi();
  ctx = await newContext(ui);
  await personWithPassword(ui, ctx, 'erin', PASSWORD);
  await ui.admin.call('person_update', { params: { id: 'erin' }, body: { displayname: 'Erin <b>Example</b>', mail: ['erin@example.test'] } });
  await ui.admin.call('group_create', { body: { name: 'developers' } });
  await ui.admin.call('group_members_add', { params: { id: 'developers' }, body: { members: ['erin'] } });
  page = await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  await signInWithPassword(page, 'erin', PASSWORD);
  await page.waitForURL('**/ui/apps');
}, 60_000);

afterAll(async () => {
  await ui?.close();
});

async function keysOfErin(): Promise<SshKey[]> {
  return ui.admin.call<SshKey[]>('person_ssh_list', { params: { id: 'erin' } });
}

describe('the profile', () => {
  it('shows details and groups, with markup in names shown as text', async () => {
    const res = await page.goto('/ui/profile');
    const headers = res!.headers();
    expect(headers['content-security-policy']).toContain("default-src 'self'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'same-origin', 'cache-control': 'no-store' });
    expect(headers['permissions-policy']).toContain('camera=()');
    await expect(page.locator('h1').textContent()).resolves.toBe('Erin <b>Example</b>');
    await expect(page.locator('h1 b').count()).resolves.toBe(0);
    const details = await page.locator('dl.details').first().textContent();
    expect(details).toContain('erin@ward.test');
    expect(details).toContain('erin@example.test');
    await expect(page.locator('#groups-h + ul').textContent()).resolves.toContain('developers');
    await expect(page.locator('#credentials').textContent()).resolves.toContain('Password');
  });

  it('adds an SSH key under a name', async () => {
    const key = testSshKey('ed25519', 'erin@laptop');
    await page.getByLabel('Name', { exact: true }).fill('laptop');
    await page.getByLabel('Public key', { exact: true }).fill(key);
    await page.getByRole('button', { name: 'Add key' }).click();
    await page.waitForURL(/notice=ssh_added/);
    expect(await notice(page)).toBe('The SSH key was added.');
    await expect(page.locator('#ssh li').first().textContent()).resolves.toMatch(/laptop[\s\S]*ssh-ed25519[\s\S]*SHA256:/);
    expect((await keysOfErin()).map((k) => k.tag)).toEqual(['laptop']);
    await screenshot(page, 'profile');
    await phoneScreenshot(ui, ctx, '/ui/profile', 'profile-phone');
  });

  it('refuses a key that is not valid, keeping what was typed', async () => {
    await page.getByLabel('Name', { exact: true }).fill('broken');
    await page.getByLabel('Public key', { exact: true }).fill('ssh-ed25519 AAAAnotakey');
    await page.getByRole('button', { name: 'Add key' }).click();
    await page.waitForLoadState();
    expect(await notice(page)).toMatch(/key/i);
    await expect(page.getByLabel('Name', { exact: true }).inputValue()).resolves.toBe('broken');
    await expect(page.getByLabel('Public key', { exact: true }).inputValue()).resolves.toBe('ssh-ed25519 AAAAnotakey');
    expect((await keysOfErin()).map((k) => k.tag)).toEqual(['laptop']);
  });

  it('refuses a second key under a name in use', async () => {
    await page.goto('/ui/profile');
    await page.getByLabel('Name', { exact: true }).fill('laptop');
    await page.getByLabel('Public key', { exact: true }).fill(testSshKey('ecdsa-p256'));
    await page.getByRole('button', { name: 'Add key' }).click();
    await page.waitForLoadState();
    expect(await notice(page)).toMatch(/laptop/);
    expect(await keysOfErin()).toHaveLength(1);
  });

  it('renames a key', async () => {
    await page.goto('/ui/profile');
    const before = (await keysOfErin())[0]!;
    await page.getByText('Rename', { exact: true }).first().click();
    await page.getByLabel('New name for laptop', { exact: true }).fill('work-laptop');
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.waitForURL(/notice=ssh_renamed/);
    const after = await keysOfErin();
    expect(after.map((k) => k.tag)).toEqual(['work-laptop']);
    expect(after[0]!.fingerprint).toBe(before.fingerprint);
  });

  it('removes a key', async () => {
    await page.getByRole('button', { name: 'Remove the SSH key work-laptop' }).click();
    await page.waitForURL(/notice=ssh_removed/);
    expect(await notice(page)).toBe('The SSH key was removed.');
    expect(await keysOfErin()).toEqual([]);
  });

  it('opens the credential page from the profile, and cancelling changes nothing', async () => {
    await page.goto('/ui/profile');
    await page.getByRole('button', { name: 'Change credentials' }).click();
    await page.waitForURL('**/ui/credentials');
    await expect(page.locator('h1').textContent()).resolves.toBe('Credentials of Erin <b>Example</b>');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForURL(/\/ui\/profile\?notice=cancelled/);
    expect(await notice(page)).toBe('Nothing was changed.');
  });
});

describe('forms from elsewhere', () => {
  const key = testSshKey('ed25519', 'forged');

  it('refuses a form post without the CSRF token', async () => {
    await page.goto('/ui/profile');
    const status = await page.evaluate(async (k) => {
      const res = await fetch('/ui/profile/ssh', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ tag: 'forged', key: k }).toString(),
      });
      return res.status;
    }, key);
    expect(status).toBe(403);
    expect(await keysOfErin()).toEqual([]);
  });

  it('refuses a form post with another session\'s token, or from another site with the right one', async () => {
    const cookie = (await sessionCookie(ctx))!;
    const csrf = await page.locator('#ssh-add input[name=csrf]').inputValue();
    const post = (token: string, headers: Record<string, string>) =>
      rawRequest(ui.srv, {
        method: 'POST',
        path: '/ui/profile/ssh',
        body: new URLSearchParams({ csrf: token, tag: 'forged', key }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `__Host-ward_session=${cookie.value}`, ...headers },
      });
    expect((await post('A'.repeat(43), { origin: ui.origin })).status).toBe(403);
    expect((await post(csrf, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(csrf, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(await keysOfErin()).toEqual([]);
    // The same request from this site goes through: the refusals above were the checks, not the request.
    expect((await post(csrf, { origin: ui.origin, 'sec-fetch-site': 'same-origin' })).status).toBe(303);
    expect((await keysOfErin()).map((k) => k.tag)).toEqual(['forged']);
  });

  it('loaded nothing the Content-Security-Policy refused', () => {
    expect(consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
  });
});
