// Writes packages/proto/c/ward_proto.h and ward_map.h from the built definitions (run after `tsc -b`).
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCHeader, renderMapCHeader } from '../dist/index.js';
const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'c');
mkdirSync(dir, { recursive: true });
for (const [name, text] of [['ward_proto.h', renderCHeader()], ['ward_map.h', renderMapCHeader()]]) {
  writeFileSync(join(dir, name), text);
  console.log(`wrote ${join(dir, name)}`);
}
