/**
 * `wardd healthcheck`: GET /status over TLS, for systemd, container health probes and scripts.
 * It trusts the configured chain (tls_chain, plus the system roots) unless --ca says otherwise,
 * and checks the certificate's name against the configured origin's host, so a healthy answer
 * also means the TLS setup a client will see is right. Healthy: HTTP 200 with status "ok".
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, rootCertificates, type PeerCertificate } from 'node:tls';
import { bindUrl, loadConfig } from '../config.js';

export interface HealthcheckOptions {
  configPath?: string;
  /** Overrides the address derived from bindaddress. */
  url?: string;
  /** Overrides the trust anchors (PEM file). */
  caPath?: string;
  timeoutMs?: number;
}

export interface HealthResult {
  healthy: boolean;
  url: string;
  detail: string;
}

export async function healthcheck(opts: HealthcheckOptions): Promise<HealthResult> {
  const needConfig = opts.url === undefined || opts.caPath === undefined;
  const config = needConfig && opts.configPath ? loadConfig(opts.configPath) : undefined;
  const url = new URL(opts.url ?? (config ? bindUrl(config.host, config.port) : 'https://localhost:8443'));
  if (url.protocol !== 'https:') throw new Error(`--url must be an https URL: ${url.href}`);
  const caFile = opts.caPath ?? config?.tlsChain;
  const ca = caFile ? [...rootCertificates, readFileSync(caFile, 'utf8')] : undefined;
  // A probe of the bind address checks the certificate against the name clients use.
  const verifyHost = opts.url === undefined && config ? new URL(config.origin).hostname : url.hostname;
  const bareHost = verifyHost.replace(/^\[|\]$/g, '');
  const target = `${url.origin}/status`;
  return new Promise<HealthResult>((resolve) => {
    const done = (healthy: boolean, detail: string) => resolve({ healthy, url: target, detail });
    const req = https.request(
      {
        method: 'GET',
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || 443,
        path: '/status',
        headers: { accept: 'application/json' },
        ...(ca ? { ca } : {}),
        ...(isIP(bareHost) === 0 ? { servername: bareHost } : {}),
        checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(bareHost, cert),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= 64 * 1024) chunks.push(c);
        });
        res.on('end', () => {
          clearTimeout(timer);
          let body: { status?: unknown; version?: unknown; domain?: unknown; message?: unknown } = {};
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            // Judged by the status code below.
          }
          if (res.statusCode === 200 && body.status === 'ok') done(true, `ward ${String(body.version)}, domain ${String(body.domain)}`);
          else done(false, `HTTP ${res.statusCode}${typeof body.message === 'string' ? `: ${body.message}` : ''}`);
        });
        res.on('error', (e) => done(false, e.message));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      done(false, `no answer within ${opts.timeoutMs ?? 5000} ms`);
    }, opts.timeoutMs ?? 5000);
    req.on('error', (e) => {
      clearTimeout(timer);
      done(false, e.message);
    });
    req.end();
  });
}
