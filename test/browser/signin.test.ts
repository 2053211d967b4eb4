/**
 * A person's whole way in a real browser (Debian Chromium with a virtual platform authenticator):
 * an administrator makes a reset link; the person opens it, sets a password, enrols TOTP and a
 * passkey, creates backup codes and saves; signs in with the passkey alone, signs out (which ends
 * the session on the server), signs in with password + TOTP; wrong and reused codes are refused;
 * a backup code works once; repeated failures soft-lock password sign-in (never passkeys) and
 * the lock releases; a person in an MFA-policy group cannot sign in with a password alone.
 * Screenshots of the pages go to test-artifacts/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { rawRequest } from '@ward/server/testing';
import {
  addPasskey, confirmTotp, createPersonWithCli, createPersonWithLink, enterTotp, notice, openResetLink, personWithPassword, saveAll,
  sessionCookie, setPassword, signInWithPassword, signOut, startTotp,
} from './flows.js';
import { addAuthenticator, newContext, phoneScreenshot, screenshot, startUi, type Authenticator, type TotpApp, type UiServer } from './harness.js';

const PASSWORD = 'violet kettle orbit 1987';
const LOCK = { auth_lock_threshold: 3, auth_lock_seconds: 2, auth_lock_max_seconds: 4 };
/** localStorage key of the test's stand-in for a browser without conditional mediation (see beforeAll). */
const NO_AUTOFILL = 'test:no-passkey-autofill';

let ui: UiServer;
let ctx: BrowserContext;
let page: Page;
let authenticator: Authenticator;
let totp: TotpApp;
let backupCodes: string[] = [];

beforeAll(async () => {
  ui = await startUi(LOCK);
  ctx = await newContext(ui);
  page = await ctx.newPage();
  authenticator = await addAuthenticator(page);
  // A browser without passkey autofill, when the test asks for one: conditional mediation unavailable.
  await page.addInitScript((key) => {
    if (typeof PublicKeyCredential === 'undefined' || location.protocol !== 'https:') return;
    const original = PublicKeyCredential.isConditionalMediationAvailable?.bind(PublicKeyCredential);
    PublicKeyCredential.isConditionalMediationAvailable = () =>
      localStorage.getItem(key) === '1' ? Promise.resolve(false) : original ? original() : Promise.resolve(false);
  }, NO_AUTOFILL);
}, 60_000);

afterAll(async () => {
  await ui?.close();
});

/** Open the sign-in page and let the authenticator answer its passkey autofill. */
async function passkeyAutofill(): Promise<void> {
  await authenticator.presence(true);
  try {
    await page.goto('/ui/login');
    await page.waitForURL('**/ui/apps');
  } finally {
    await authenticator.presence(false);
  }
}

describe('from a reset link to a passkey', () => {
  it('opens the one-time link an administrator made', async () => {
    const link = await createPersonWithCli(ui, 'alice', 'Alice Liddell');
    await page.goto(link);
    await screenshot(page, 'reset-landing');
    await openResetLink(page, link);
    await expect(page.locator('h1').textContent()).resolves.toBe('Credentials of Alice Liddell');
    // The link works once: opening it again says so.
    const other = await ctx.newPage();
    await other.goto(link);
    await other.getByRole('button', { name: 'Continue' }).click();
    await expect(other.locator('h1').textContent()).resolves.toBe('This link does not work');
    await other.close();
  });

  it('refuses a weak password and a mistyped repeat, then stages a good one', async () => {
    await setPassword(page, 'alice in wonderland');
    expect(await notice(page)).toMatch(/password/i);
    await setPassword(page, PASSWORD, `${PASSWORD}x`);
    expect(await notice(page)).toBe('The two passwords differ; type the same password twice.');
    await setPassword(page, PASSWORD);
    expect(await notice(page)).toBe('The new password is ready. Save all changes to apply it.');
    await expect(page.getByLabel('New password', { exact: true }).getAttribute('autocomplete')).resolves.toBe('new-password');
  });

  it('enrols TOTP from the QR code page: a wrong code keeps the same code, the right one is accepted', async () => {
    totp = await startTotp(page);
    await expect(page.locator('img.qr').getAttribute('src')).resolves.toMatch(/^data:image\/svg\+xml;base64,/);
    await expect(page.getByLabel('Code from the app', { exact: true }).getAttribute('autocomplete')).resolves.toBe('one-time-code');
    await expect(page.getByLabel('Code from the app', { exact: true }).getAttribute('inputmode')).resolves.toBe('numeric');
    await screenshot(page, 'totp-enrol');
    await confirmTotp(page, totp.wrongCode());
    expect(await notice(page)).toMatch(/code/i);
    expect(((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s+/g, '')).toBe(totp.secret);
    await confirmTotp(page, (await totp.nextCode()).code);
    expect(await notice(page)).toBe('The authenticator app is ready. Save all changes to apply it.');
    await expect(page.locator('#totp li').first().textContent()).resolves.toContain('phone');
  });

  it('adds a passkey with the platform authenticator', async () => {
    await addPasskey(page, 'laptop');
    await expect(page.locator('#passkeys li').first().textContent()).resolves.toContain('laptop');
    const held = await authenticator.credentials();
    expect(held).toHaveLength(1);
    expect(held[0]!.isResidentCredential).toBe(true);
  });

  it('creates backup codes, shown once', async () => {
    await page.getByRole('button', { name: 'Create backup codes' }).click();
    await expect(page.locator('h1').textContent()).resolves.toBe('Your backup codes');
    backupCodes = (await page.locator('ul.codes li').allTextContents()).map((c) => c.trim());
    expect(backupCodes.length).toBeGreaterThanOrEqual(8);
    await screenshot(page, 'backup-codes');
    await page.getByRole('link', { name: 'I have saved them' }).click();
    await expect(page.locator('#backup').textContent()).resolves.toContain(`${backupCodes.length} unused codes`);
    await screenshot(page, 'credentials');
    await phoneScreenshot(ui, ctx, '/ui/credentials', 'credentials-phone');
  });

  it('saves everything at once and is sent to sign in', async () => {
    await authenticator.presence(false);
    await saveAll(page);
    await page.waitForURL(/\/ui\/login\?notice=committed/);
    expect(await notice(page)).toBe('Your credentials are saved. Sign in with them now.');
    await expect(page.getByLabel('Name', { exact: true }).getAttribute('autocomplete')).resolves.toBe('username webauthn');
    await screenshot(page, 'login');
    await phoneScreenshot(ui, ctx, '/ui/login', 'login-phone');
  });
});

describe('signing in', () => {
  it('signs in with the passkey alone from the name field\'s autofill, in an HttpOnly, Secure, SameSite cookie', async () => {
    // The virtual authenticator answers the page's conditional request as a person picking the
    // passkey offered under the name field would: no name typed, no button pressed.
    await passkeyAutofill();
    await expect(page.locator('h1').textContent()).resolves.toBe('Applications');
    await expect(page.locator('.empty h2').textContent()).resolves.toBe('No applications yet');
    const cookie = await sessionCookie(ctx);
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    await screenshot(page, 'apps');
    await phoneScreenshot(ui, ctx, '/ui/apps', 'apps-phone');
    await signOut(page);
  });

  it('signs in with the passkey button where the browser offers no passkey autofill', async () => {
    await page.evaluate((key) => localStorage.setItem(key, '1'), NO_AUTOFILL);
    try {
      await page.goto('/ui/login');
      await authenticator.presence(true);
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await page.waitForURL('**/ui/apps');
    } finally {
      await authenticator.presence(false);
      await page.evaluate((key) => localStorage.removeItem(key), NO_AUTOFILL);
    }
    await signOut(page);
  });

  it('is offered the passkey instead of the password after giving the name', async () => {
    await page.goto('/ui/login');
    await page.getByLabel('Name', { exact: true }).fill('alice');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByLabel('Password', { exact: true }).getAttribute('autocomplete')).resolves.toBe('current-password');
    await screenshot(page, 'login-password');
    await authenticator.presence(true);
    try {
      await page.getByRole('button', { name: 'Use a passkey instead' }).click();
      await page.waitForURL('**/ui/apps');
    } finally {
      await authenticator.presence(false);
    }
  });

  it('signs out, which ends the session on the server', async () => {
    const token = (await sessionCookie(ctx))!.value;
    const before = await rawRequest(ui.srv, { path: '/v1/auth/whoami', token });
    expect(before.json).toMatchObject({ name: 'alice' });
    await signOut(page);
    expect(await notice(page)).toBe('You are signed out.');
    expect(await sessionCookie(ctx)).toBeUndefined();
    expect((await rawRequest(ui.srv, { path: '/v1/auth/whoami', token })).status).toBe(401);
    await page.goto('/ui/profile');
    expect(new URL(page.url()).pathname).toBe('/ui/login');
  });

  let usedCode = '';
  it('signs in with password and TOTP', async () => {
    await signInWithPassword(page, 'alice', PASSWORD);
    await expect(page.getByLabel('Code from your authenticator app', { exact: true }).getAttribute('autocomplete')).resolves.toBe('one-time-code');
    await screenshot(page, 'login-totp');
    usedCode = (await totp.nextCode()).code;
    await enterTotp(page, usedCode);
    await page.waitForURL('**/ui/apps');
    await signOut(page);
  });

  it('refuses a TOTP code used before', async () => {
    await signInWithPassword(page, 'alice', PASSWORD);
    await enterTotp(page, usedCode);
    expect(await notice(page)).toBe('This code was used already; wait for the next one and start again.');
    expect(await sessionCookie(ctx)).toBeUndefined();
  });

  it('refuses a wrong TOTP code', async () => {
    await signInWithPassword(page, 'alice', PASSWORD);
    await enterTotp(page, totp.wrongCode());
    expect(await notice(page)).toBe('The code is wrong.');
    await expect(page.locator('h1').textContent()).resolves.toBe('Sign in');
    expect(await sessionCookie(ctx)).toBeUndefined();
  });

  it('accepts a backup code instead of TOTP, once', async () => {
    const code = backupCodes[0]!;
    for (const expectOk of [true, false]) {
      await signInWithPassword(page, 'alice', PASSWORD);
      await page.getByText('Use a backup code instead').click();
      await page.getByLabel('Backup code', { exact: true }).fill(code);
      await page.locator('#backup_code-form button[type=submit]').click();
      await page.waitForLoadState();
      if (expectOk) {
        await page.waitForURL('**/ui/apps');
        await signOut(page);
      } else {
        expect(await notice(page)).toBe('The backup code is wrong or was used already.');
      }
    }
  });

  it('soft-locks password sign-in after repeated failures; the lock releases and never blocks the passkey', async () => {
    const failUntilLocked = async (): Promise<number> => {
      for (let i = 0; i < LOCK.auth_lock_threshold; i++) {
        await signInWithPassword(page, 'alice', 'not the password at all');
        expect(await notice(page)).toBe('The name or the credential is wrong.');
      }
      await signInWithPassword(page, 'alice', PASSWORD);
      const locked = await notice(page);
      expect(locked).toMatch(/^Too many failed attempts on this account; try again in \d+ s, or sign in with a passkey\.$/);
      expect(await sessionCookie(ctx)).toBeUndefined();
      return Number(/in (\d+) s/.exec(locked)![1]);
    };
    await passkeyAutofill();
    await signOut(page);

    const wait = await failUntilLocked();
    await screenshot(page, 'login-locked');
    await new Promise((r) => setTimeout(r, wait * 1000 + 500));
    await signInWithPassword(page, 'alice', PASSWORD);
    await enterTotp(page, (await totp.nextCode()).code);
    await page.waitForURL('**/ui/apps');
    await signOut(page);

    // Locked again: the owner's passkey still signs in.
    await failUntilLocked();
    await passkeyAutofill();
    await signOut(page);
  }, 90_000);
});

describe('account policy', () => {
  it('refuses a password alone to a person in a group that requires MFA', async () => {
    const other = await newContext(ui);
    try {
      await personWithPassword(ui, other, 'carol', 'amber lantern quarry 4411');
      await ui.admin.call('group_create', { body: { name: 'mfa_required' } });
      await ui.admin.call('group_account_policy_set', { params: { id: 'mfa_required' }, body: { credential_type_minimum: 'mfa' } });
      await ui.admin.call('group_members_add', { params: { id: 'mfa_required' }, body: { members: ['carol'] } });
      const p = await other.newPage();
      await signInWithPassword(p, 'carol', 'amber lantern quarry 4411');
      expect(await notice(p)).toMatch(/^The account policy requires a second factor/);
      expect(await sessionCookie(other)).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  it('a person without credentials cannot sign in at all, with the same answer as a wrong password', async () => {
    await createPersonWithLink(ui, 'dave', 'Dave');
    await signInWithPassword(page, 'dave', 'whatever password 123');
    const forDave = await notice(page);
    await signInWithPassword(page, 'nobody-here', 'whatever password 123');
    expect(await notice(page)).toBe(forDave);
  });
});
