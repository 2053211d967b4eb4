/**
 * What the single sign-on suites share: a real `wardd` (in this process, so a test can restart
 * it), an administrator of OAuth2 clients using the built `ward` CLI (`ward system oauth2 ...`,
 * as in the README), people with passwords, and openid-client configured as the relying party,
 * reaching the server under its public origin through OriginClient (test CA trusted, ward.test
 * resolved to 127.0.0.1; nothing installed system-wide).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as client from 'openid-client';
import { WardClient } from '@ward/client';
import { login, OriginClient, type TestServer } from '@ward/server/testing';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WARD_BIN = path.join(ROOT, 'packages', 'cli', 'dist', 'bin', 'ward.js');

export const APP_ORIGIN = 'https://app.example.test';
export const REDIRECT = `${APP_ORIGIN}/oauth/callback`;

/** The `ward` CLI, logged in as the built-in `admin` (system_admins), in a home of its own. */
export class AdminShell {
  private readonly home = mkdtempSync(path.join(tmpdir(), 'ward-oidc-cli-'));
  private constructor(private readonly srv: TestServer) {}

  static async login(srv: TestServer, password: string): Promise<AdminShell> {
    const shell = new AdminShell(srv);
    await shell.run(['login', '-D', 'admin'], { WARD_PASSWORD: password });
    return shell;
  }

  run(args: string[], extra: Record<string, string> = {}): Promise<string> {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.home, WARD_URL: this.srv.url, WARD_CA_PATH: this.srv.caPath, ...extra };
    return new Promise((resolve, reject) =>
      execFile(process.execPath, [WARD_BIN, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`ward ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout)),
    );
  }

  /** `ward -D admin system oauth2 ...` */
  oauth2(...args: string[]): Promise<string> {
    return this.run(['-D', 'admin', 'system', 'oauth2', ...args]);
  }

  close(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

export interface Sso {
  srv: TestServer;
  /** REST client as `admin` (system_admins and idm_admins). */
  admin: WardClient;
  cli: AdminShell;
  http: OriginClient;
  close(): Promise<void>;
}

/** Set up on a running test server (in-process): admin REST client, admin CLI, origin client. */
export async function ssoOn(srv: TestServer): Promise<Sso> {
  // One recovery for both the CLI and the REST client: a second would end the first's session.
  const password = await srv.recover('admin');
  const cli = await AdminShell.login(srv, password);
  const admin = new WardClient({ url: srv.url, caPath: srv.caPath, token: await login(srv, 'admin', password) });
  const http = new OriginClient(srv);
  return {
    srv,
    admin,
    cli,
    http,
    async close() {
      http.close();
      cli.close();
      await srv.close();
    },
  };
}

/** A person with a password and mail, in the given groups (created when missing). */
export async function person(sso: Sso, name: string, password: string, groups: string[] = []): Promise<void> {
  await sso.admin.call('person_create', { body: { name, displayname: `${name[0]!.toUpperCase()}${name.slice(1)} Tester`, mail: [`${name}@example.test`] } });
  await sso.srv.directory!.setPrimaryPassword(name, password);
  for (const g of groups) {
    await sso.admin.call('group_create', { body: { name: g } });
    await sso.admin.call('group_members_add', { params: { id: g }, body: { members: [name] } });
  }
}

/** openid-client's configuration for a client of this server (secret: client_secret_basic; none: public). */
export async function relyingParty(sso: Sso, clientId: string, secret?: string): Promise<client.Configuration> {
  const auth = secret ? client.ClientSecretBasic(secret) : client.None();
  const config = await client.discovery(new URL(sso.srv.origin), clientId, secret, auth, { [client.customFetch]: sso.http.fetch });
  config[client.customFetch] = sso.http.fetch;
  return config;
}

export interface AuthRequest {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

/** An authorization request with PKCE S256, state and nonce. */
export async function authRequest(config: client.Configuration, params: Record<string, string> = {}): Promise<AuthRequest> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid profile email groups',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, verifier, state, nonce };
}

/** The code exchange for a callback URL of `req`. */
export function exchange(config: client.Configuration, callback: string, req: AuthRequest) {
  return client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce });
}

export { client };
