/**
 * The browser-facing security rules of the web UI: the response headers of every page and asset,
 * and the cross-site check of every POST.
 *
 * The Content-Security-Policy allows only this origin's own files: no inline script or style
 * (page data travels in `<script type="application/json">` blocks, which are never executed),
 * images from this origin and `data:` (the TOTP QR code, an SVG shown through <img>, where an SVG
 * can run no script), no plugins, no <base>, forms posting only here, and no framing at all
 * (clickjacking). Referrer-Policy is `same-origin`, not `no-referrer`: with `no-referrer` browsers
 * send `Origin: null` on same-origin form posts, which would defeat the Origin check below.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WardError } from '@ward/proto';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PERMISSIONS_POLICY = [
  'camera=()',
  'microphone=()',
  'geolocation=()',
  'payment=()',
  'usb=()',
  'serial=()',
  'hid=()',
  'publickey-credentials-get=(self)',
  'publickey-credentials-create=(self)',
].join(', ');

/** Headers on every UI answer (pages, assets, JSON calls, errors). */
export const UI_HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'permissions-policy': PERMISSIONS_POLICY,
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000',
  // Pages carry CSRF tokens and personal data: never stored. Assets override this (assets.ts).
  'cache-control': 'no-store',
  pragma: 'no-cache',
};

export function setUiHeaders(reply: FastifyReply): void {
  void reply.headers(UI_HEADERS);
}

/**
 * Refuse a state-changing request another site started. Browsers send `Sec-Fetch-Site` (all
 * current ones) and `Origin` (on every POST); when present they must say "this origin". A request
 * with neither comes from a program, not a browser page, and still needs its CSRF token.
 */
export function assertSameOrigin(request: FastifyRequest, origin: string): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') {
    throw new WardError('forbidden', 'this form was sent from another site; open the page here and send it again');
  }
  const from = request.headers.origin;
  if (from !== undefined && from !== origin) {
    throw new WardError('forbidden', `this form must be sent from ${origin}, not ${from}`);
  }
}
