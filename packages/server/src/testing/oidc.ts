/**
 * Single sign-on without a browser, for tests and benchmarks: an HTTPS client that reaches the
 * test server under its public origin (`https://ward.test:<port>`, resolved to 127.0.0.1 and
 * trusting the test CA, nothing installed system-wide), usable as openid-client's `customFetch`;
 * and a cookie-keeping agent that walks an authorization request through the real web UI forms
 * (sign-in page, name, password, optional TOTP, consent) the way a browser without JavaScript
 * would, following redirects until the application's redirect URL.
 *
 *   const http = new OriginClient(srv);
 *   config[client.customFetch] = http.fetch;                       // openid-client
 *   const agent = new FormAgent(http);
 *   const callback = await agent.authorize(url, { name: 'alice', password, consent: 'allow' });
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { readFileSync } from 'node:fs';
import { Agent, request, type RequestOptions } from 'node:https';

export interface OriginServer {
  origin: string;
  caPath: string;
}

/** A fetch for one test server: its origin's host name resolves to 127.0.0.1; its CA is trusted. */
export class OriginClient {
  readonly origin: string;
  private readonly agent: Agent;
  private readonly host: string;

  constructor(srv: OriginServer, opts: { maxSockets?: number } = {}) {
    this.origin = srv.origin;
    this.host = new URL(srv.origin).hostname;
    const host = this.host;
    this.agent = new Agent({
      ca: readFileSync(srv.caPath),
      keepAlive: true,
      maxSockets: opts.maxSockets ?? 16,
      lookup: ((hostname: string, options: object, cb: (e: Error | null, a: string | LookupAddress[], f?: number) => void) =>
        hostname === host ? cb(null, (options as { all?: boolean }).all ? [{ address: '127.0.0.1', family: 4 }] : '127.0.0.1', 4) : dnsLookup(hostname, options, cb)) as never,
    });
  }

  /** fetch(url, { method, headers, body }) with manual redirects, as openid-client calls it. */
  readonly fetch = (input: string | URL, init: { method?: string; headers?: Record<string, string> | Headers; body?: unknown } = {}): Promise<Response> => {
    const url = new URL(String(input));
    const headers: Record<string, string> = {};
    new Headers(init.headers as ConstructorParameters<typeof Headers>[0]).forEach((v, k) => (headers[k] = v));
    let body: Buffer | undefined;
    if (init.body instanceof URLSearchParams) {
      body = Buffer.from(init.body.toString());
      headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
    } else if (typeof init.body === 'string') body = Buffer.from(init.body);
    else if (init.body instanceof Uint8Array) body = Buffer.from(init.body);
    if (body) headers['content-length'] = String(body.length);
    const options: RequestOptions = { method: init.method ?? 'GET', headers, agent: this.agent, servername: url.hostname };
    return this.send(url, options, body, true);
  };

  /** One request; a kept-alive socket the server closed meanwhile (a restart) is retried once on a new one. */
  private send(url: URL, options: RequestOptions, body: Buffer | undefined, retry: boolean): Promise<Response> {
    return new Promise((resolve, reject) => {
      const req = request(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (Array.isArray(v)) v.forEach((x) => h.append(k, x));
            else if (v !== undefined) h.set(k, v);
          }
          const status = res.statusCode ?? 0;
          const noBody = status === 204 || status === 304;
          resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, headers: h }));
        });
      });
      req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${options.method} ${url.href}`)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (retry && req.reusedSocket && (e.code === 'ECONNRESET' || e.message === 'socket hang up')) resolve(this.send(url, options, body, false));
        else reject(e);
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface Page {
  status: number;
  url: string;
  text: string;
  /** Set when the walk stopped at a redirect leaving the IdP (the application's redirect URL). */
  location?: string;
}

export interface SignInAnswers {
  name: string;
  password: string;
  /** A TOTP code, when the account asks for one. */
  totp?: () => string;
  /** What to press on a consent page; absent: stop there and return it. */
  consent?: 'allow' | 'deny';
}

function field(text: string, name: string): string | undefined {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(text);
  return m?.[1]?.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

/** The action of the page's form posting to an interaction (not the top bar's sign-out form). */
function interactionAction(text: string): string | undefined {
  return /<form method="post" action="(\/oauth2\/interaction\/[^"]+)"/.exec(text)?.[1];
}

/** A browser without JavaScript: a cookie jar, forms, redirects. One agent is one browser. */
export class FormAgent {
  private readonly jar = new Map<string, string>();

  constructor(private readonly http: OriginClient) {}

  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  /** Put a cookie in the jar (e.g. another agent's IdP session, to start signed in). */
  setCookie(name: string, value: string): void {
    this.jar.set(name, value);
  }

  private keep(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  /** One request on the IdP, with the jar's cookies; no redirect followed. */
  async send(method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/html' };
    if (this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (form) headers.origin = this.http.origin;
    const res = await this.http.fetch(new URL(url, this.http.origin), { method, headers, ...(form ? { body: new URLSearchParams(form) } : {}) });
    this.keep(res);
    return res;
  }

  /** Follow redirects on the IdP; stops at a page, or at a redirect to another origin (returned as `location`). */
  async walk(method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<Page> {
    let res = await this.send(method, url, form);
    let at = new URL(url, this.http.origin).href;
    for (let hops = 0; hops < 20; hops++) {
      const location = res.headers.get('location') ?? (res.status === 200 ? /^0; url=(.*)$/.exec(res.headers.get('refresh') ?? '')?.[1] : undefined);
      if (!location || (res.status < 300 && !res.headers.get('refresh'))) return { status: res.status, url: at, text: await res.text() };
      await res.arrayBuffer();
      const next = new URL(location, at);
      if (next.origin !== this.http.origin) return { status: res.status, url: at, text: '', location: next.href };
      at = next.href;
      res = await this.send('GET', at);
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /**
   * An authorization request from start to the application's redirect URL: through the sign-in
   * page (name, password, TOTP when asked) and the consent page as `answers` say. Returns the
   * last page, with `location` set when it ended at the application.
   */
  async authorize(authorizationUrl: string, answers: SignInAnswers): Promise<Page> {
    let page = await this.walk('GET', authorizationUrl);
    for (let steps = 0; steps < 8 && !page.location; steps++) {
      const path = new URL(page.url).pathname;
      const csrf = field(page.text, 'csrf') ?? '';
      const next = field(page.text, 'next') ?? '';
      if (path === '/ui/login' && page.text.includes('id="name-form"')) {
        page = await this.walk('POST', '/ui/login', { csrf, next, name: answers.name });
      } else if (page.text.includes('id="password-form"')) {
        page = await this.walk('POST', '/ui/login/step', { csrf, next, kind: 'password', username: answers.name, password: answers.password });
      } else if (page.text.includes('id="totp-form"') && answers.totp) {
        page = await this.walk('POST', '/ui/login/step', { csrf, next, kind: 'totp', totp: answers.totp() });
      } else if (path.startsWith('/oauth2/interaction/') && page.text.includes('name="decision"') && answers.consent) {
        page = await this.walk('POST', interactionAction(page.text)!, { csrf, decision: answers.consent });
      } else {
        return page;
      }
    }
    return page;
  }
}
