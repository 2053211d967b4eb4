/**
 * A real browser against a real `wardd` for the web UI suites: Debian's Chromium driven by
 * playwright-core, with the DevTools virtual WebAuthn authenticator standing in for a platform
 * authenticator (face or fingerprint).
 *
 * WebAuthn needs a secure context whose certificate is valid, at a real domain (the rpID): the
 * test server answers for `ward.test` with a certificate from its own test CA; Chromium maps
 * ward.test to 127.0.0.1 (--host-resolver-rules) and trusts exactly that server's key
 * (--ignore-certificate-errors-spki-list with the key's SHA-256; Chromium then treats the
 * certificate as valid, which WebAuthn accepts, unlike a page with a certificate error). Nothing
 * is installed into the machine's trust stores. Each launch gets a fresh profile (user-data-dir).
 *
 * Also here: the administrator's side through the built `ward` CLI and the REST API (WardClient), an RFC 6238 TOTP
 * generator of the test's own, and screenshots into test-artifacts/screenshots/.
 */
import { execFile } from 'node:child_process';
import { createHash, createHmac, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { WardClient } from '@ward/client';
import { login, startTestServer, type TestServer } from '@ward/server/testing';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SCREENSHOTS = path.join(ROOT, 'test-artifacts', 'screenshots');
export const CHROMIUM = '/usr/bin/chromium';
export const WARD_BIN = path.join(ROOT, 'packages', 'cli', 'dist', 'bin', 'ward.js');

export interface UiServer {
  srv: TestServer;
  /** https://ward.test:<port>, the server's configured origin (and the browser's). */
  origin: string;
  admin: WardClient;
  /** The built `ward` CLI, signed in as idm_admin (`-D idm_admin`), as an administrator's shell runs it. */
  ward(...args: string[]): Promise<string>;
  browser: Browser;
  close(): Promise<void>;
}

/** The SHA-256 of the server certificate's public key (SPKI), base64, as Chromium's flag wants it. */
function serverSpki(srv: TestServer): string {
  const chainFile = /^tls_chain = "(.*)"$/m.exec(readFileSync(srv.configPath, 'utf8'))?.[1];
  if (!chainFile) throw new Error('the test server configuration names no tls_chain');
  const leaf = new X509Certificate(readFileSync(chainFile));
  return createHash('sha256').update(leaf.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
}

/** A test server (more server.toml keys in `config`), an administrator client, and Chromium trusting the server. */
export async function startUi(config: Record<string, string | number> = {}): Promise<UiServer> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (test/preflight.mjs does this)`);
  const srv = await startTestServer({ config });
  try {
    const origin = `https://${srv.domain}:${srv.port}`;
    // One recovery for both: recovering again would end the sessions of the first.
    const adminPassword = await srv.recover('idm_admin');
    const admin = new WardClient({ url: srv.url, caPath: srv.caPath, token: await login(srv, 'idm_admin', adminPassword) });
    const home = mkdtempSync(path.join(tmpdir(), 'ward-ui-cli-'));
    const run = (args: string[], extraEnv: Record<string, string> = {}) =>
      new Promise<string>((resolve, reject) => {
        const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, WARD_URL: srv.url, WARD_CA_PATH: srv.caPath, ...extraEnv };
        execFile(process.execPath, [WARD_BIN, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) =>
          err ? reject(new Error(`ward ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout));
      });
    await run(['login', '-D', 'idm_admin'], { WARD_PASSWORD: adminPassword });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run',
        `--host-resolver-rules=MAP ${srv.domain} 127.0.0.1`,
        `--ignore-certificate-errors-spki-list=${serverSpki(srv)}`,
      ],
    });
    return {
      srv,
      origin,
      admin,
      ward: (...args) => run(['-D', 'idm_admin', ...args]),
      browser,
      async close() {
        await browser.close().catch(() => undefined);
        await srv.close();
        rmSync(home, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await srv.close();
    throw e;
  }
}

export interface Authenticator {
  id: string;
  cdp: CDPSession;
  /**
   * Whether the authenticator answers by itself (a finger on the sensor). While off, requests
   * wait: the virtual authenticator would otherwise complete the sign-in page's passkey autofill
   * (conditional mediation) at once, before a test can press anything.
   */
  presence(on: boolean): Promise<void>;
  /** The credentials the authenticator holds (resident ones are passkeys). */
  credentials(): Promise<Array<{ credentialId: string; isResidentCredential: boolean; rpId?: string; userHandle?: string }>>;
}

/** A virtual platform authenticator with user verification (face/fingerprint), for this page's browser context. */
export async function addAuthenticator(page: Page): Promise<Authenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    id: authenticatorId,
    cdp,
    async presence(enabled) {
      await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled });
    },
    async credentials() {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      return credentials;
    },
  };
}

/** A new browser context: a separate cookie jar, as another browser would be. */
export function newContext(ui: UiServer, phone = false): Promise<BrowserContext> {
  return ui.browser.newContext({
    baseURL: ui.origin,
    ...(phone
      ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
      : { viewport: { width: 1280, height: 900 } }),
  });
}

/** Save a full-page screenshot as test-artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The same page on a phone-sized screen (same cookies), screenshotted. */
export async function phoneScreenshot(ui: UiServer, from: BrowserContext, url: string, name: string): Promise<void> {
  const phone = await newContext(ui, true);
  try {
    await phone.addCookies(await from.cookies());
    const page = await phone.newPage();
    await page.goto(url);
    await screenshot(page, name);
  } finally {
    await phone.close();
  }
}

// --- RFC 6238 TOTP (SHA-1, 6 digits, 30 s), written here so the test does not trust the server's code.

function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of text.replace(/[\s=]/g, '').toUpperCase()) {
    const idx = alphabet.indexOf(ch);
    if (idx < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The TOTP code of time step `step` (RFC 4226 HOTP over the RFC 6238 counter). */
export function totpAt(secretBase32: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secretBase32)).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(bin).padStart(6, '0');
}

export function currentStep(now = Date.now()): number {
  return Math.floor(now / 1000 / 30);
}

/**
 * Codes as an authenticator app gives them, each step used once: the current step, or the next
 * one (the server allows one step of clock skew) when the current one was used, waiting for the
 * clock when both were. Never the previous step: a code must stay valid for the seconds a test
 * needs to use it, and to replay it.
 */
export class TotpApp {
  private lastStep = 0;
  constructor(readonly secret: string) {}

  async nextCode(): Promise<{ code: string; step: number }> {
    for (;;) {
      const now = currentStep();
      const step = Math.max(now, this.lastStep + 1);
      if (step <= now + 1) {
        this.lastStep = step;
        return { code: totpAt(this.secret, step), step };
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** A code that is wrong in every step the server would try. */
  wrongCode(): string {
    const now = currentStep();
    const valid = new Set([now - 2, now - 1, now, now + 1, now + 2].map((s) => totpAt(this.secret, s)));
    for (let n = 0; ; n++) {
      const code = String((123456 + n * 7919) % 1_000_000).padStart(6, '0');
      if (!valid.has(code)) return code;
    }
  }
}
