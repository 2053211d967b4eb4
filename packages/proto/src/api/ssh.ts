import { Type, type Static } from '@sinclair/typebox';

/** Tags name a key on its account: same character rule as names, shorter. */
export const SSH_TAG_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.@-]{0,63}$/;
/** An OpenSSH public key line is at most a few KiB (RSA 16384 is ~2.8 KiB in base64). */
export const SSH_KEY_MAX_LENGTH = 8192;

export const SshKey = Type.Object({
  tag: Type.String(),
  type: Type.String(),
  key: Type.String({ description: 'the key as an OpenSSH authorized_keys line, re-serialized' }),
  fingerprint: Type.String({ description: 'SHA256:...' }),
  comment: Type.String(),
  bits: Type.Integer(),
});
export type SshKey = Static<typeof SshKey>;
export const SshKeyList = Type.Array(SshKey);

export const AddSshKeyRequest = Type.Object(
  {
    tag: Type.String({ minLength: 1, maxLength: 64 }),
    key: Type.String({ minLength: 1, maxLength: SSH_KEY_MAX_LENGTH }),
  },
  { additionalProperties: false },
);
export type AddSshKeyRequest = Static<typeof AddSshKeyRequest>;
