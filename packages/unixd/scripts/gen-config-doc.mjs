// Writes docs/unixd-config.md from the built key table (run `npx tsc -b` first).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigDoc } from '../dist/config/doc.js';

const target = fileURLToPath(new URL('../../../docs/unixd-config.md', import.meta.url));
writeFileSync(target, renderConfigDoc());
console.log(`wrote ${target}`);
