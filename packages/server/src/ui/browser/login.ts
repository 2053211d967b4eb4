/**
 * The sign-in page's script (/ui/static/login.js): passkey sign-in. The button runs a
 * username-less sign-in (or, on a step page, the passkey step the server offered); on the first
 * page the name field also offers passkeys in its autofill (conditional mediation), where the
 * browser supports it. Success answers the path to go to; a refusal is shown beside the button.
 */
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import { describeError, pageData, postJson, revealWebAuthnParts, showError, webauthn } from './common.js';

interface LoginData {
  csrf: string;
  next: string;
  /** On a step page: the options of the sign-in in progress (its id is in an HttpOnly cookie). */
  passkeyOptions?: PublicKeyCredentialRequestOptionsJSON;
}

interface Begun {
  flow: string;
  options: PublicKeyCredentialRequestOptionsJSON;
}

const data = pageData<LoginData>('ward-login');
const button = document.getElementById('passkey-button') as HTMLButtonElement | null;
const errorBox = document.getElementById('passkey-error');

async function finish(response: AuthenticationResponseJSON, flow: string | undefined): Promise<void> {
  const done = await postJson<{ redirect: string }>('/ui/login/passkey/finish', data.csrf, {
    response,
    next: data.next,
    ...(flow ? { flow } : {}),
  });
  window.location.assign(done.redirect);
}

/** A username-less sign-in of our own (the options of a step page are used once). */
async function begin(): Promise<Begun> {
  return postJson<Begun>('/ui/login/passkey/begin', data.csrf, {});
}

async function withButton(): Promise<void> {
  const swa = webauthn();
  if (!swa || !button) return;
  button.disabled = true;
  showError(errorBox, null);
  try {
    let flow: string | undefined;
    let options = data.passkeyOptions;
    if (!options) ({ flow, options } = await begin());
    const response = await swa.startAuthentication({ optionsJSON: options });
    // Once answered, the step page's sign-in is over either way; a retry starts a new one.
    delete data.passkeyOptions;
    await finish(response, flow);
  } catch (e) {
    showError(errorBox, describeError(e));
    button.disabled = false;
  }
}

/** Passkeys offered in the name field's autofill; quietly does nothing where unsupported. */
async function autofill(): Promise<void> {
  const swa = webauthn();
  const field = document.querySelector('input[autocomplete~="webauthn"]');
  if (!swa || !field || data.passkeyOptions || !(await swa.browserSupportsWebAuthnAutofill())) return;
  try {
    const { flow, options } = await begin();
    const response = await swa.startAuthentication({ optionsJSON: options, useBrowserAutofill: true });
    await finish(response, flow);
  } catch (e) {
    // The button (or leaving the page) aborts the autofill request: not an error to show.
    const err = e as { name?: string; code?: string };
    if (err.name === 'AbortError' || err.code === 'ERROR_CEREMONY_ABORTED') return;
    showError(errorBox, describeError(e));
  }
}

if (revealWebAuthnParts()) {
  button?.addEventListener('click', () => void withButton());
  void autofill();
}
