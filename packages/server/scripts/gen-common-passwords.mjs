#!/usr/bin/env node
/**
 * Regenerates packages/server/data/common-passwords.txt from the password list of the npm package
 * @zxcvbn-ts/language-common (MIT): its src/passwords.json, most common first. Only entries of 8
 * characters or more are kept (shorter ones fail the length rule anyway). Usage:
 *
 *   cd "$(mktemp -d)" && npm pack @zxcvbn-ts/language-common@4.1.3 && tar xzf *.tgz
 *   node packages/server/scripts/gen-common-passwords.mjs "$PWD/package"
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = process.argv[2];
if (!pkg) {
  process.stderr.write('usage: gen-common-passwords.mjs PATH-TO-UNPACKED-@zxcvbn-ts/language-common\n');
  process.exit(2);
}
const { version } = JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8'));
const list = JSON.parse(readFileSync(path.join(pkg, 'src', 'passwords.json'), 'utf8'));
const keep = list.filter((p) => [...p].length >= 8 && !p.startsWith('#') && !/[\u0000-\u001f]/.test(p));
const license = readFileSync(path.join(pkg, 'LICENSE.txt'), 'utf8').trim().split('\n').map((l) => `# ${l}`.trimEnd()).join('\n');
const header = [
  '# Common passwords refused by Ward (docs/credentials.md). One per line, lower case, most common first.',
  '# The entries of 8 characters or more (shorter ones are refused by the length rule anyway) of the',
  `# ${list.length.toLocaleString('en-US')}-entry password list in @zxcvbn-ts/language-common ${version} (src/passwords.json), itself from`,
  '# zxcvbn (Dropbox), built from leaked-password corpora. Regenerate with packages/server/scripts/gen-common-passwords.mjs.',
  '#',
  license,
].join('\n');
const out = fileURLToPath(new URL('../data/common-passwords.txt', import.meta.url));
writeFileSync(out, `${header}\n${keep.join('\n')}\n`);
process.stdout.write(`${out}: ${keep.length} passwords\n`);
