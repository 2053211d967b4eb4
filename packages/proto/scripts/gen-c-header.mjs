// Writes packages/proto/c/ward_proto.h from the built schema (run after `tsc -b`).
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCHeader } from '../dist/index.js';
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'c', 'ward_proto.h');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, renderCHeader());
console.log(`wrote ${out}`);
