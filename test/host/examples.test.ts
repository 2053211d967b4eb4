/**
 * The example configurations in deploy/ list every key the loaders accept, no other, and show
 * the true defaults: uncommenting every key line gives a file the loader accepts, and each key
 * with a default reads back as that default.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../packages/unixd/src/config/keys.js';
import { parseConfig as parseUnixd } from '../../packages/unixd/src/config/load.js';
import { DEFAULTS, KEYS, parseConfig as parseServer } from '../../packages/server/src/config.js';

const read = (name: string) => fs.readFileSync(fileURLToPath(new URL(`../../deploy/${name}`, import.meta.url)), 'utf8');

/** The commented-out `# key = value` lines, as [key, line without "# "]. */
function keyLines(text: string): Array<[string, string]> {
  return [...text.matchAll(/^# ([a-z_]+) = (.+)$/gm)].map((m) => [m[1]!, `${m[1]} = ${m[2]}`]);
}

describe('deploy/unixd.toml.example', () => {
  const lines = keyLines(read('unixd.toml.example'));
  it('lists every key once', () => {
    expect(lines.map(([k]) => k)).toEqual(Object.keys(CONFIG_KEYS));
  });
  it('shows values the loader accepts, and the real defaults', () => {
    const cfg = parseUnixd(lines.map(([, l]) => l).join('\n'), 'unixd.toml.example') as Record<string, unknown>;
    for (const [key, def] of Object.entries(CONFIG_KEYS)) {
      if (def.default !== undefined && def.default !== null) expect([key, cfg[key]]).toEqual([key, def.default]);
    }
  });
});

describe('deploy/server.toml.example', () => {
  const lines = keyLines(read('server.toml.example'));
  it('lists every key once', () => {
    expect(lines.map(([k]) => k).sort()).toEqual(Object.keys(KEYS).sort());
  });
  it('shows values the loader accepts, and the real defaults', () => {
    parseServer(lines.map(([, l]) => l).join('\n'), '/etc/ward/server.toml');
    const shown = Object.fromEntries(lines.map(([k, l]) => [k, l.slice(k.length + 3)]));
    for (const [key, value] of Object.entries(DEFAULTS)) expect([key, shown[key]]).toEqual([key, JSON.stringify(value)]);
  });
});
