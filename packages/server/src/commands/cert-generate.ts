/**
 * `wardd cert-generate`: a private CA and a server certificate signed by it, for development, the
 * demo and tests (production uses certificates from the site's own CA). ECDSA P-256 throughout.
 * The CA's private key is discarded once the server certificate is signed, so these files cannot
 * be used to mint further certificates.
 *
 * Files written into --out: ca.pem (the CA certificate, what clients trust: the CLI's --ca),
 * cert.pem (the chain the server presents: server certificate then CA; `tls_chain`),
 * key.pem (the server's private key, mode 0600; `tls_key`).
 */
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs it loaded first.
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { isValidDomain } from '@ward/proto';
import { CommandError } from './shared.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
export const CERT_FILES = { ca: 'ca.pem', chain: 'cert.pem', key: 'key.pem' } as const;

export interface CertOptions {
  /** The DNS name the server is reached by; `localhost` is always added too. */
  domain: string;
  /** IP addresses to put in the certificate (default 127.0.0.1 and ::1). */
  ips?: string[];
  /** Lifetime of the server certificate, days (the CA lives ten times longer). */
  days?: number;
}

export interface GeneratedCerts {
  caPem: string;
  chainPem: string;
  keyPem: string;
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // a positive INTEGER
  return bytes.toString('hex');
}

export function checkCertOptions(opts: CertOptions): Required<CertOptions> {
  if (!isValidDomain(opts.domain)) throw new CommandError(`--domain: "${opts.domain}" is not a lower-case DNS name`);
  const ips = opts.ips ?? ['127.0.0.1', '::1'];
  for (const ip of ips) if (isIP(ip) === 0) throw new CommandError(`--ip: "${ip}" is not an IP address`);
  const days = opts.days ?? 365;
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new CommandError('--days: must be an integer from 1 to 3650');
  return { domain: opts.domain, ips, days };
}

export async function generateCertificates(options: CertOptions): Promise<GeneratedCerts> {
  const { domain, ips, days } = checkCertOptions(options);
  const now = Date.now();
  // Backdate a little: a host whose clock is a few minutes behind must still accept the files.
  const notBefore = new Date(now - 3600_000);
  const caKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=Ward development CA for ${domain}, O=Ward`,
    notBefore,
    notAfter: new Date(now + days * 10 * DAY_MS),
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const serverKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const names = [...new Set([domain, 'localhost'])];
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${domain}`,
    issuer: ca.subject,
    notBefore,
    notAfter: new Date(now + days * DAY_MS),
    signingKey: caKeys.privateKey,
    publicKey: serverKeys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.map((value) => ({ type: 'dns' as const, value })),
        ...[...new Set(ips)].map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(serverKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey);
  const caPem = ca.toString('pem') + '\n';
  return {
    caPem,
    chainPem: server.toString('pem') + '\n' + caPem,
    keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n',
  };
}

/** Write the three files into `outDir` (created if missing). Refuses to replace any unless `force`. */
export function writeCertificates(outDir: string, certs: GeneratedCerts, force = false): { ca: string; chain: string; key: string } {
  const files = {
    ca: path.resolve(outDir, CERT_FILES.ca),
    chain: path.resolve(outDir, CERT_FILES.chain),
    key: path.resolve(outDir, CERT_FILES.key),
  };
  if (!force) {
    const present = Object.values(files).filter((f) => existsSync(f));
    if (present.length) throw new CommandError(`${present.join(', ')} already exist; use --force to replace them`);
  }
  mkdirSync(outDir, { recursive: true, mode: 0o755 });
  // Each file appears whole or not at all: write beside it, then rename over.
  const put = (file: string, data: string, mode: number) => {
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, data, { mode, flag: 'w' });
    chmodSync(tmp, mode);
    renameSync(tmp, file);
  };
  put(files.key, certs.keyPem, 0o600);
  put(files.chain, certs.chainPem, 0o644);
  put(files.ca, certs.caPem, 0o644);
  return files;
}
