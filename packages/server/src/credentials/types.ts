/**
 * The credential update session's contract (issue 5 items 2-3). A person changes their
 * credentials in a "credential update" (CU) session: opened with a one-time reset link made by an
 * administrator, or by the signed-in person themselves. Every change is staged in the session and
 * written all at once by `commit`, which refuses a set that the account policy does not allow;
 * `cancel` (or expiry) drops it. The implementation is credentials/updates.ts; README.md in
 * ../auth explains how to use both services.
 *
 * Who may do what:
 *  - createResetToken: members of idm_people_admins or idm_admins (and system_admins for accounts
 *    that hold administrative rights, the same rule as every other change of an account). The
 *    token is shown once, stored hashed, single-use, expires (default 1 h, at most 24 h).
 *  - beginWithResetToken: whoever holds the token (it is consumed at once: call it on a POST, never
 *    on the GET of the link, which link previewers fetch).
 *  - beginForSelf: a signed-in person whose login session is at most REAUTH_WINDOW_SECONDS (10 min)
 *    old: changing credentials needs a recent sign-in, otherwise `unauthenticated` ("sign in again").
 *  - Administrators never see or set a person's password: there is no such operation.
 *
 * Errors are WardError: not_found (unknown/expired CU session or token), invalid_password (quality
 * rules), invalid_attribute (bad TOTP code or label, bad passkey response), conflict (commit refused
 * by policy: `problems` says why), forbidden.
 */
import type {
  PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Actor } from '../directory/types.js';

export type CredentialTypeMinimum = 'any' | 'mfa' | 'passkey';

export interface CuStatus {
  /** The CU session id (opaque, secret). */
  id: string;
  account: { name: string; spn: string; displayname: string };
  /** Epoch milliseconds; the session and its staged changes are gone after this. */
  expiresAt: number;
  /** The staged state (what commit would write), not what is stored now. */
  password: boolean;
  totp: { label: string }[];
  passkeys: { id: string; name: string; createdAt: number }[];
  backupCodesRemaining: number;
  /** The strictest policy among the person's groups (nested). */
  policy: { credentialTypeMinimum: CredentialTypeMinimum; passwordMinimumLength: number };
  /** True when commit would be accepted: the staged set satisfies the policy (problems is empty). */
  canCommit: boolean;
  /** Why commit would be refused, in sentences for people; empty when canCommit. */
  problems: string[];
}

export interface TotpEnrolment {
  /** The shared secret, base32 without padding (for typing into an app). */
  secret: string;
  /** otpauth://totp/ISSUER:SPN?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30 */
  uri: string;
  /** The uri as a QR code, an <svg> document (no external references; safe to inline). */
  qrSvg: string;
}

export interface ResetToken {
  /** The secret token (shown once). */
  token: string;
  /** config origin + '/ui/reset?token=' + token */
  url: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface CredentialUpdates {
  createResetToken(actor: Actor, accountRef: string, ttlSeconds?: number): ResetToken;
  beginWithResetToken(token: string): CuStatus;
  /** `sessionId`: the caller's login session (TokenContext.sessionId), checked for recency. */
  beginForSelf(actor: Actor, sessionId: string): CuStatus;

  status(id: string): CuStatus;
  /** Stages a new primary password (quality rules: policy length, common passwords, own names). */
  setPassword(id: string, password: string): Promise<CuStatus>;
  /** Starts a TOTP enrolment (a fresh secret, kept in the session until totpVerify). */
  totpInit(id: string): TotpEnrolment;
  /** Confirms the pending enrolment with a code from the app and stages it under `label`. */
  totpVerify(id: string, label: string, code: string): CuStatus;
  totpRemove(id: string, label: string): CuStatus;
  /** Options for `startRegistration({ optionsJSON })`; the challenge is kept in the session. */
  passkeyInit(id: string): Promise<PublicKeyCredentialCreationOptionsJSON>;
  passkeyFinish(id: string, name: string, response: RegistrationResponseJSON): Promise<CuStatus>;
  passkeyRemove(id: string, credentialId: string): CuStatus;
  /** Stages a fresh set of backup codes (replacing any); returns them in clear, the only time. */
  backupCodesGenerate(id: string): Promise<string[]>;
  /** Writes every staged change at once; refused (conflict) when the policy is not met. Ends the session. */
  commit(id: string): Promise<void>;
  cancel(id: string): void;
}
