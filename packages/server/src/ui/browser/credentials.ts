/**
 * The credential update page's script (/ui/static/credentials.js): adding a passkey. The form
 * names the passkey; the server's registration options go to the browser's WebAuthn
 * (navigator.credentials.create through @simplewebauthn/browser), and the answer back to the
 * server, which stages the passkey in the open credential update.
 */
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/browser';
import { describeError, pageData, postJson, revealWebAuthnParts, showError, webauthn } from './common.js';

const data = pageData<{ csrf: string }>('ward-cu');
const form = document.getElementById('passkey-form') as HTMLFormElement | null;
const nameField = document.getElementById('passkey-name') as HTMLInputElement | null;
const button = document.getElementById('passkey-add') as HTMLButtonElement | null;
const errorBox = document.getElementById('passkey-error');

async function addPasskey(): Promise<void> {
  const swa = webauthn();
  if (!swa || !nameField || !button) return;
  const name = nameField.value.trim();
  if (!name) {
    showError(errorBox, 'Give the passkey a name first.');
    nameField.focus();
    return;
  }
  button.disabled = true;
  showError(errorBox, null);
  try {
    const { options } = await postJson<{ options: PublicKeyCredentialCreationOptionsJSON }>('/ui/credentials/passkey/options', data.csrf, {});
    const response = await swa.startRegistration({ optionsJSON: options });
    const done = await postJson<{ redirect: string }>('/ui/credentials/passkey/finish', data.csrf, { name, response });
    window.location.assign(done.redirect);
  } catch (e) {
    showError(errorBox, describeError(e));
    button.disabled = false;
  }
}

if (revealWebAuthnParts()) {
  form?.addEventListener('submit', (event) => {
    event.preventDefault();
    void addPasskey();
  });
}
