/**
 * The files the web UI's pages load, all served by `wardd` itself (no third-party origin):
 *
 *   /ui/static/ward.css                 styles.ts
 *   /ui/static/favicon.svg              styles.ts
 *   /ui/static/login.js                 browser/login.ts, compiled into dist/ui/browser/
 *   /ui/static/credentials.js           browser/credentials.ts, likewise
 *   /ui/static/common.js                browser/common.ts (imported by the two above), likewise
 *   /ui/static/simplewebauthn-browser.js  @simplewebauthn/browser's UMD bundle, from node_modules
 *
 * Everything is read once at start and kept in memory. Pages link each file with `?v=<hash>`, so
 * an answer to a versioned URL may be cached for a year; an unversioned one is revalidated.
 * A missing compiled script (the package was not built) is logged and answered with 503 rather
 * than stopping the server: the API does not depend on it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { FAVICON_SVG, WARD_CSS } from './styles.js';

const BROWSER_SCRIPTS = ['login.js', 'credentials.js', 'common.js'] as const;
const ALL = ['ward.css', 'favicon.svg', 'simplewebauthn-browser.js', ...BROWSER_SCRIPTS] as const;
export type AssetName = (typeof ALL)[number];

interface Asset {
  body: Buffer;
  type: string;
  hash: string;
}

const JS = 'text/javascript; charset=utf-8';

/** The folder of this package (the one holding package.json), from src/ or dist/ alike. */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the @ward/server package folder');
    dir = up;
  }
  return dir;
}

/** @simplewebauthn/browser's UMD bundle (its package exports only the entry points, so resolve from the entry). */
function webauthnBundlePath(): string {
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  // Its script/ and esm/ folders carry package.json files of their own: find the package's.
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === '@simplewebauthn/browser') {
      return path.join(dir, 'dist', 'bundle', 'index.umd.min.js');
    }
  }
  throw new Error(`cannot find the @simplewebauthn/browser package above ${entry}`);
}

function asset(body: string | Buffer, type: string): Asset {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return { body: buf, type, hash: createHash('sha256').update(buf).digest('base64url').slice(0, 12) };
}

export class Assets {
  private readonly files = new Map<AssetName, Asset>();

  constructor(log: FastifyBaseLogger) {
    this.files.set('ward.css', asset(WARD_CSS, 'text/css; charset=utf-8'));
    this.files.set('favicon.svg', asset(FAVICON_SVG, 'image/svg+xml'));
    const browserDir = path.join(packageRoot(), 'dist', 'ui', 'browser');
    const load = (name: AssetName, file: () => string) => {
      try {
        this.files.set(name, asset(readFileSync(file()), JS));
      } catch (e) {
        log.error({ err: (e as Error).message }, `web UI asset ${name} is missing; build the package (npm run build)`);
      }
    };
    for (const name of BROWSER_SCRIPTS) load(name, () => path.join(browserDir, name));
    load('simplewebauthn-browser.js', webauthnBundlePath);
  }

  /** The URL a page links: versioned by content. */
  url(name: AssetName): string {
    const a = this.files.get(name);
    return `/ui/static/${name}${a ? `?v=${a.hash}` : ''}`;
  }

  register(app: FastifyInstance): void {
    app.get('/static/:name', async (request, reply) => {
      const { name } = request.params as { name: string };
      const a = this.files.get(name as AssetName);
      if (!a) {
        const known = (ALL as readonly string[]).includes(name);
        return reply.code(known ? 503 : 404).type('text/plain; charset=utf-8').send(known ? 'this file was not built' : 'no such file');
      }
      const v = (request.query as Record<string, unknown>).v;
      const etag = `"${a.hash}"`;
      void reply
        .header('content-type', a.type)
        .header('etag', etag)
        .header('cache-control', v === a.hash ? 'public, max-age=31536000, immutable' : 'no-cache')
        .removeHeader('pragma');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.send(a.body);
    });
  }
}
