/**
 * Builds the sign-in flow and the credential update service of one server from its
 * configuration: the WebAuthn relying party, the per-account soft lock with the configured
 * timings, and the shared per-source throttle. One place, so the REST API and the web UI use the
 * very same objects (and the same lock counts).
 */
import { WardAuthFlow, type AuthLog } from '../auth/flow.js';
import { SoftLock } from '../auth/soft-lock.js';
import type { ServerConfig } from '../config.js';
import { WardCredentialUpdates } from '../credentials/updates.js';
import { relyingParty } from '../credentials/webauthn.js';
import type { Directory } from '../directory/types.js';
import type { AuthServices } from './app.js';
import type { LoginThrottle } from './login-throttle.js';

export function buildAuthServices(opts: { config: ServerConfig; directory: Directory; throttle: LoginThrottle; log: AuthLog }): AuthServices {
  const { config, directory, log } = opts;
  const rp = relyingParty(config);
  const softLock = new SoftLock({ threshold: config.authLockThreshold, baseSeconds: config.authLockSeconds, maxSeconds: config.authLockMaxSeconds });
  return {
    authFlow: new WardAuthFlow({ config, directory, rp, throttle: opts.throttle, softLock, log }),
    credentialUpdates: new WardCredentialUpdates({ directory, rp, origin: config.origin, domain: config.domain, log }),
  };
}
