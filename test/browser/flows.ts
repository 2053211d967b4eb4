/**
 * What people and administrators do in the web UI suites, step by step, as a person would: by
 * labels, buttons and the URLs they land on. The administrator's part goes through the REST API.
 */
import { expect } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { ResetTokenResponse } from '@ward/proto';
import { TotpApp, type UiServer } from './harness.js';

/** An administrator creates a person and a reset link with the `ward` CLI; returns the link it printed. */
export async function createPersonWithCli(ui: UiServer, name: string, displayname: string): Promise<string> {
  await ui.ward('person', 'create', name, displayname);
  const out = await ui.ward('person', 'credential', 'create-reset-token', name, '30m');
  const link = out.split('\n').find((line) => line.startsWith(`${ui.origin}/ui/reset?token=`));
  if (!link) throw new Error(`ward printed no reset link: ${out}`);
  return link.trim();
}

/** The same through the REST API (as the CLI does), for the other people of a suite. */
export async function createPersonWithLink(ui: UiServer, name: string, displayname: string): Promise<string> {
  await ui.admin.call('person_create', { body: { name, displayname } });
  return resetLink(ui, name);
}

export async function resetLink(ui: UiServer, name: string): Promise<string> {
  const r = await ui.admin.call<ResetTokenResponse>('person_credential_reset_token', { params: { id: name }, body: { ttl: 3600 } });
  expect(r.url.startsWith(`${ui.origin}/ui/reset?token=`)).toBe(true);
  return r.url;
}

/** Open the link and press Continue: the credential page of a fresh update. */
export async function openResetLink(page: Page, link: string): Promise<void> {
  await page.goto(link);
  await expect(page.locator('h1').textContent()).resolves.toBe('Set up your sign-in');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL('**/ui/credentials');
}

export async function setPassword(page: Page, password: string, confirm = password): Promise<void> {
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the new password', { exact: true }).fill(confirm);
  await page.locator('#password-form button[type=submit]').click();
  await page.waitForLoadState();
}

export async function notice(page: Page): Promise<string> {
  return ((await page.locator('.notice').first().textContent()) ?? '').trim();
}

/** Start a TOTP enrolment; returns the "app" holding the secret shown on the page. */
export async function startTotp(page: Page): Promise<TotpApp> {
  await page.getByRole('button', { name: 'Add an authenticator app' }).click();
  await page.waitForURL('**/ui/credentials/totp');
  const secret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s+/g, '');
  expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
  return new TotpApp(secret);
}

export async function confirmTotp(page: Page, code: string, label = 'phone'): Promise<void> {
  await page.getByLabel('Name of this authenticator', { exact: true }).fill(label);
  await page.getByLabel('Code from the app', { exact: true }).fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForLoadState();
}

export async function addPasskey(page: Page, name: string): Promise<void> {
  await page.getByLabel('Name of the new passkey', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.waitForURL(/notice=passkey_added/);
}

export async function saveAll(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Save all changes' }).click();
  await page.waitForLoadState();
}

/** A new person with only a password, through their reset link; they end on the sign-in page. */
export async function personWithPassword(ui: UiServer, context: BrowserContext, name: string, password: string): Promise<void> {
  const link = await createPersonWithLink(ui, name, name.charAt(0).toUpperCase() + name.slice(1));
  const page = await context.newPage();
  await openResetLink(page, link);
  await setPassword(page, password);
  await saveAll(page);
  await page.waitForURL(/\/ui\/login\?notice=committed/);
  await page.close();
}

/** Name, then password; stops on whatever page the server answers. */
export async function signInWithPassword(page: Page, name: string, password: string): Promise<void> {
  await page.goto('/ui/login');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState();
}

export async function enterTotp(page: Page, code: string): Promise<void> {
  await page.getByLabel('Code from your authenticator app', { exact: true }).fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForLoadState();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/ui\/login\?notice=signed_out/);
}

/** The session cookie's value in this context, if any. */
export async function sessionCookie(context: BrowserContext): Promise<{ value: string; httpOnly: boolean; secure: boolean; sameSite: string; path: string } | undefined> {
  return (await context.cookies()).find((c) => c.name === '__Host-ward_session');
}
