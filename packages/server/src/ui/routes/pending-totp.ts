/**
 * TOTP enrolments shown but not yet confirmed, by credential update session. The server hands
 * out an enrolment's secret and QR code once (totpInit); keeping it here lets the enrolment page
 * be shown again after a mistyped code or a reload without making the person scan a new code.
 * Entries end with their CU session (its expiry), on confirmation, or on cancel; the table is
 * bounded so that many abandoned sessions cannot grow the process.
 */
import type { TotpEnrolment } from '../../credentials/types.js';

const MAX_ENTRIES = 10_000;

export class PendingTotp {
  private readonly entries = new Map<string, { enrolment: TotpEnrolment; expiresAt: number }>();

  set(cuId: string, enrolment: TotpEnrolment, expiresAt: number, now = Date.now()): void {
    this.sweep(now);
    this.entries.delete(cuId);
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(cuId, { enrolment, expiresAt });
  }

  get(cuId: string, now = Date.now()): TotpEnrolment | undefined {
    const e = this.entries.get(cuId);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(cuId);
      return undefined;
    }
    return e.enrolment;
  }

  delete(cuId: string): void {
    this.entries.delete(cuId);
  }

  private sweep(now: number): void {
    for (const [id, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(id);
  }
}
