/**
 * What every command needs, resolved once from the global options and the environment: the
 * server's URL and CA, the account name, the output form, the token cache, and a WardClient that
 * carries the right token. A raw token in WARD_TOKEN (an API token for scripts) wins over the
 * cache; otherwise the cache entry for this server and `-D` name is used.
 */
import { readFileSync } from 'node:fs';
import { WardClient } from '@ward/client';
import { WardError } from '@ward/proto';
import { parseRef } from './args.js';
import { Output, parseOutputFormat } from './output.js';
import { TokenCache, defaultCachePath, type CachedToken } from './token-cache.js';

/** The global options as commander hands them over (values from flags or their env variables). */
export interface GlobalOptions {
  url?: string;
  ca?: string;
  name?: string;
  output?: string;
}

export type TokenSource = 'env' | 'cache';

export class Context {
  readonly out: Output;
  /** Where the token of the authenticated client came from, to phrase an auth failure. */
  tokenSource: TokenSource | undefined;
  cachedEntry: CachedToken | undefined;
  private client: WardClient | undefined;

  constructor(
    private readonly opts: GlobalOptions,
    private readonly env: NodeJS.ProcessEnv,
    readonly warn: (message: string) => void,
  ) {
    this.out = new Output(parseOutputFormat(opts.output ?? 'text'));
  }

  /** The server's origin (`https://host:port`); required. */
  get url(): string {
    const raw = this.opts.url;
    if (!raw) throw new WardError('bad_request', 'no server URL: give -H/--url or set WARD_URL');
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new WardError('bad_request', `-H/--url: not a URL: ${JSON.stringify(raw)}`);
    }
    if (url.protocol !== 'https:') throw new WardError('bad_request', `-H/--url: the server URL must use https: ${JSON.stringify(raw)}`);
    if (url.username || url.password) throw new WardError('bad_request', '-H/--url: credentials do not belong in the URL');
    return url.origin;
  }

  /** The account name from -D/--name or WARD_NAME (a name, spn or uuid), if given. */
  get name(): string | undefined {
    const name = this.opts.name;
    return name === undefined || name === '' ? undefined : parseRef(name);
  }

  get cache(): TokenCache {
    return new TokenCache(defaultCachePath(this.env), this.warn);
  }

  private newClient(token: string | undefined): WardClient {
    let ca: Buffer | undefined;
    if (this.opts.ca) {
      try {
        ca = readFileSync(this.opts.ca);
      } catch (e) {
        throw new WardError('bad_request', `-C/--ca: cannot read ${this.opts.ca}: ${(e as Error).message}`);
      }
    }
    this.client?.close();
    this.client = new WardClient({ url: this.url, ...(ca ? { ca } : {}), ...(token ? { token } : {}) });
    return this.client;
  }

  /** A client without a token, for login. */
  anonymous(): WardClient {
    this.tokenSource = undefined;
    return this.newClient(undefined);
  }

  /**
   * A client with the token of WARD_TOKEN or of the cache; `unauthenticated` when there is none.
   * One client per command, so its calls share one kept-alive TLS connection.
   */
  authenticated(): WardClient {
    if (this.client && this.tokenSource) return this.client;
    const raw = this.env.WARD_TOKEN;
    if (raw) {
      this.tokenSource = 'env';
      return this.newClient(raw.trim());
    }
    const url = this.url;
    const name = this.name;
    const entry = this.cache.find(url, name);
    if (!entry) {
      const who = name ? ` as ${name}` : '';
      throw new WardError('unauthenticated', `not logged in to ${url}${who}: run "ward login${name ? '' : ' -D NAME'}" or set WARD_TOKEN`);
    }
    this.tokenSource = 'cache';
    this.cachedEntry = entry;
    return this.newClient(entry.token);
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}
