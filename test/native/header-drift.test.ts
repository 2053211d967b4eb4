/**
 * The C headers are generated from packages/proto/src/socket/schema.ts and src/map/format.ts and
 * committed; these tests fail when they differ (run `npm run gen:c-header -w @ward/proto` after changing the schema).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCHeader, renderMapCHeader } from '@ward/proto';
import { PROTO_C } from './helpers.js';

describe('ward_proto.h', () => {
  it('is exactly what the schema renders', () => {
    const committed = readFileSync(join(PROTO_C, 'ward_proto.h'), 'utf8');
    expect(committed).toBe(renderCHeader());
  });
});

describe('ward_map.h', () => {
  it('is exactly what the map format renders', () => {
    const committed = readFileSync(join(PROTO_C, 'ward_map.h'), 'utf8');
    expect(committed).toBe(renderMapCHeader());
  });
});
