/**
 * The C header is generated from packages/proto/src/socket/schema.ts and committed; this test
 * fails when the two differ (run `npm run gen:c-header -w @ward/proto` after changing the schema).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCHeader } from '@ward/proto';
import { PROTO_C } from './helpers.js';

describe('ward_proto.h', () => {
  it('is exactly what the schema renders', () => {
    const committed = readFileSync(join(PROTO_C, 'ward_proto.h'), 'utf8');
    expect(committed).toBe(renderCHeader());
  });
});
