/**
 * The sign-in state machine's contract (issue 5 item 1). One flow serves the web UI (which calls
 * it in-process, `app.authFlow`) and the REST API (`POST /v1/auth/begin`, `POST /v1/auth/step`,
 * used by the CLI). The implementation is auth/flow.ts; README.md beside this file explains how to
 * use it.
 *
 * A sign-in is a short-lived server-side "auth session" (an opaque id, kept in memory for a few
 * minutes). `begin` opens it and says which mechanisms may come next; each `step` answers
 * `continue` (more is needed: `allowed` lists what), `denied` (this auth session is over; start
 * again with `begin`) or `success` (a real login session was created in the directory).
 *
 * Names: at `begin`, an unknown name and a known one look the same (both are offered password and
 * passkey); an unknown name is denied at the password step with the same message and after the
 * same argon2 work as a wrong password.
 */
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { SessionRecord } from '../directory/types.js';

export type Mechanism = 'password' | 'totp' | 'backup_code' | 'passkey';

export type AuthStep =
  | { kind: 'password'; password: string }
  | { kind: 'totp'; code: string }
  | { kind: 'backup_code'; code: string }
  | { kind: 'passkey'; response: AuthenticationResponseJSON };

/** Why a sign-in was denied, for programs; `reason` is the sentence for people. */
export type DeniedCode =
  /** Wrong name or credential (the same for an unknown name). */
  | 'auth_failed'
  /** The account is soft-locked after repeated failures; `retryAfterSeconds` says how long. */
  | 'rate_limited'
  /** The credentials are right but the account policy demands more (MFA, a passkey) or the account has no usable second factor. */
  | 'policy'
  /** The auth session id is unknown, expired or already finished. */
  | 'session_expired';

export type AuthState =
  | {
      state: 'continue';
      /** The auth session id to pass to `step` (opaque, secret, valid for a few minutes). */
      session: string;
      allowed: Mechanism[];
      /** Present when `allowed` includes 'passkey': hand to `startAuthentication({ optionsJSON })`. */
      passkeyOptions?: PublicKeyCredentialRequestOptionsJSON;
    }
  | {
      state: 'denied';
      reason: string;
      code: DeniedCode;
      /** With code 'rate_limited': seconds until password and TOTP attempts are accepted again. */
      retryAfterSeconds?: number;
    }
  | {
      state: 'success';
      account: { uuid: string; name: string; spn: string };
      /** The login session in the directory; its expiry follows the strictest auth_expiry policy. */
      session: SessionRecord;
      /** RFC 8176 methods: ['pwd'], ['pwd','otp','mfa'], or ['hwk','user','mfa'] for a passkey. */
      amr: string[];
    };

export interface AuthFlow {
  /** Open a sign-in. No name: a username-less passkey sign-in (only 'passkey' is offered). */
  begin(req: { name?: string; source: string }): Promise<AuthState>;
  /**
   * One step of an open sign-in. `source` is the client address (for the log and the lock).
   * A step of a mechanism not in the last `allowed` is denied; a denied sign-in is over.
   */
  step(sessionId: string, step: AuthStep, source: string): Promise<AuthState>;
}
