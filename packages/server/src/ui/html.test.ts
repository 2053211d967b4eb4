/**
 * The pure parts of the web UI: HTML escaping (the one template helper), JSON data blocks, the
 * `next` rule that keeps redirects on this server, form parsing, and CSRF tokens.
 */
import { describe, expect, it } from 'vitest';
import { WardError } from '@ward/proto';
import { Assets } from './assets.js';
import { Csrf } from './csrf.js';
import { parseForm } from './forms.js';
import { escapeHtml, html, jsonData } from './html.js';
import { consentPage } from './pages/consent.js';
import { safeNext } from './session.js';

describe('html', () => {
  it('escapes every interpolated text, in text and in attributes', () => {
    const evil = `<script>alert("x")</script>' onmouseover='y' \``;
    const out = html`<p title="${evil}">${evil}</p>`.value;
    expect(out).not.toContain('<script>');
    expect(out).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;y&#39; &#96;">' +
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;y&#39; &#96;</p>',
    );
    expect(escapeHtml('a & b')).toBe('a &amp; b');
  });

  it('inserts nested templates as markup, lists joined, and nothing for null, undefined and booleans', () => {
    const items = ['<a>', 'b'].map((t) => html`<li>${t}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${true}${0}`.value).toBe('<ul><li>&lt;a&gt;</li><li>b</li></ul>0');
  });

  it('writes JSON data blocks that cannot close their element', () => {
    const out = jsonData('d', { s: '</script><script>alert(1)</script>', amp: 'a&b', ls: '\u2028' }).value;
    expect(out.match(/<\/script>/g)).toHaveLength(1);
    const json = /<script type="application\/json" id="d">(.*)<\/script>/.exec(out)![1]!;
    expect(JSON.parse(json)).toEqual({ s: '</script><script>alert(1)</script>', amp: 'a&b', ls: '\u2028' });
  });
});

describe('safeNext', () => {
  it('keeps paths on this server', () => {
    expect(safeNext('/ui/profile')).toBe('/ui/profile');
    expect(safeNext('/oidc/interaction/abc?x=1')).toBe('/oidc/interaction/abc?x=1');
  });

  it('sends everything else to the apps page', () => {
    for (const bad of ['//evil.example/', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '', 'ui/apps', '/a b', '/a\nb', `/${'x'.repeat(3000)}`, 42, undefined]) {
      expect(safeNext(bad)).toBe('/ui/apps');
    }
  });
});

describe('forms', () => {
  it('reads fields, trimmed where text is wanted', () => {
    const f = parseForm('name=+alice+&password=a%20b&empty=');
    expect(f.text('name', 'your name')).toBe('alice');
    expect(f.required('password')).toBe('a b');
    expect(f.optional('missing')).toBeUndefined();
    expect(() => f.text('empty', 'a value')).toThrow('enter a value');
    expect(() => f.required('missing')).toThrow(WardError);
  });

  it('refuses repeated fields, too many fields and over-long values', () => {
    expect(() => parseForm('a=1&a=2')).toThrow('the field "a" is repeated');
    expect(() => parseForm(Array.from({ length: 40 }, (_, i) => `f${i}=1`).join('&'))).toThrow('too many fields');
    expect(() => parseForm(`a=${'x'.repeat(2000)}`).required('a')).toThrow('longer than 1024');
  });
});

describe('csrf tokens', () => {
  const settings = new Map<string, string>();
  const directory = { getSetting: (k: string) => settings.get(k), setSetting: (k: string, v: string) => void settings.set(k, v) };
  const csrf = Csrf.open(directory as never);

  it('are bound to purpose and binding, and survive a restart (the key is kept)', () => {
    const t = csrf.token('session', 'sid-1');
    expect(csrf.check('session', 'sid-1', t)).toBe(true);
    expect(csrf.check('session', 'sid-2', t)).toBe(false);
    expect(csrf.check('cu', 'sid-1', t)).toBe(false);
    expect(csrf.check('session', 'sid-1', undefined)).toBe(false);
    expect(csrf.check('session', 'sid-1', `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    expect(Csrf.open(directory as never).check('session', 'sid-1', t)).toBe(true);
  });
});

describe('the consent page (for single sign-on)', () => {
  it('names the application and its scopes as text, and posts allow or deny with the session token', () => {
    const assets = new Assets({ error: () => undefined } as never);
    const out = consentPage({
      assets,
      signedIn: { name: 'alice', csrf: 'tok' },
      application: { displayName: 'Grafana <script>', host: 'grafana.example.com' },
      scopes: [{ name: 'openid', description: 'Your sign-in name' }],
      action: '/oidc/interaction/abc/consent',
      hidden: { uid: 'abc"><x' },
    }).value;
    expect(out).toContain('Allow Grafana &lt;script&gt;?');
    expect(out).toContain('<form method="post" action="/oidc/interaction/abc/consent"');
    expect(out).toContain('<input type="hidden" name="uid" value="abc&quot;&gt;&lt;x">');
    expect(out).toContain('name="csrf" value="tok"');
    expect(out).toMatch(/name="decision" value="allow"[\s\S]*name="decision" value="deny"/);
  });
});
