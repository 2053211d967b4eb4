/**
 * `ward person credential create-reset-token NAME [TTL]`: a one-time link with which the person
 * sets their own credentials (password, TOTP, passkeys, backup codes) in the web UI. The link is
 * printed, and shown as a QR code on a terminal so the person can open it on a phone. The
 * administrator never sees or sets the person's password. In `-o json` the token, link and expiry
 * are printed as JSON (no QR code).
 */
import type { Command } from 'commander';
import QRCode from 'qrcode';
import type { ResetTokenResponse } from '@ward/proto';
import { parseDuration, parseRef } from '../args.js';
import { act, type Runtime } from '../program.js';

export const RESET_TTL_MIN = 60;
export const RESET_TTL_MAX = 86400;

export function registerCredentialCommands(person: Command, runtime: Runtime): void {
  const credential = person.command('credential').description('a person\u2019s credentials: reset links');
  credential
    .command('create-reset-token')
    .description('make a one-time link for the person to set their password, TOTP, passkeys and backup codes')
    .argument('<name>', 'name, spn or uuid')
    .argument('[ttl]', 'how long the link works: seconds or 30m, 2h ... (default 1h, at most 24h)')
    .action(
      act(runtime, async (ctx, name: string, ttlArg?: string) => {
        const id = parseRef(name);
        const ttl = ttlArg === undefined ? undefined : parseDuration(ttlArg, 'the lifetime of a reset link', RESET_TTL_MIN, RESET_TTL_MAX);
        const res = await ctx.authenticated().call<ResetTokenResponse>('person_credential_reset_token', {
          params: { id },
          body: ttl === undefined ? {} : { ttl },
        });
        const value = { ok: true, changed: true, ...res };
        ctx.out.message(`reset link for ${id} (works once, until ${res.expires_at}):`, value);
        if (ctx.out.json) return;
        ctx.out.message(res.url, value);
        // The QR code only on a terminal (a phone scans it); a pipe gets the link alone.
        if (process.stdout.isTTY) process.stdout.write(`\n${await QRCode.toString(res.url, { type: 'terminal', small: true })}\n`);
        ctx.out.message('Give it to the person only: whoever opens it can set the credentials of this account.', value);
      }),
    );
}
