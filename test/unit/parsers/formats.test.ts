import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECORD_FORMATS } from '../../../src/model/record-format.ts';
import { fileHead } from '../../../src/parsers/formats.ts';
import { FORMAT_BY_NAME, FORMATS, JSON_FORMATS, TEXT_FORMATS } from '../../../src/parsers/formats.ts';
import type { ParseContext } from '../../../src/parsers/parse-context.ts';
import { decodeMessage } from '../../../src/parsers/record-decoder.ts';
import { fixture, fixtureObject } from '../fixture.ts';

const ctx: ParseContext = { cluster: 'c1', now: Date.parse('2026-11-23T00:00:00Z'), maxFutureSkewMs: Number.MAX_SAFE_INTEGER };
const FIXTURES = join(import.meta.dirname, '../../fixtures');

describe('format descriptors', () => {
  it('describe every record format exactly once, and the tables are built from them', () => {
    expect(FORMATS.map((f) => f.format).sort()).toEqual([...RECORD_FORMATS].sort());
    for (const format of RECORD_FORMATS) expect(FORMAT_BY_NAME[format].format).toBe(format);
    expect([...JSON_FORMATS, ...TEXT_FORMATS].length).toBe(FORMATS.length);
    expect(TEXT_FORMATS.map((f) => f.format)).toEqual(['csv']);
    for (const f of FORMATS) {
      expect(typeof f.detect).toBe('function');
      expect(typeof f.read).toBe('function');
      expect(typeof f.route).toBe('function');
    }
  });

  it('each JSON fixture is detected by exactly one JSON descriptor: its own', () => {
    for (const dir of readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      for (const file of readdirSync(join(FIXTURES, dir.name))) {
        const obj = fixtureObject(`${dir.name}/${file}`);
        const detected = JSON_FORMATS.filter((f) => f.detect(obj, ctx)).map((f) => f.format);
        expect(detected, `${dir.name}/${file}`).toEqual([dir.name]);
      }
    }
  });

  it('auto reads a JSON line as JSON even in a stream with a CSV header, and a row there as CSV', () => {
    const csv = fileHead('time,src_ip,dst_ip', 1, 'csv', {}).csv;
    const withHeader: ParseContext = { ...ctx, csv, line: 7 };
    expect(decodeMessage(fixture('hubble/full-dropped-egress.json'), 'auto', withHeader, 1 << 20)).toMatchObject({ status: 'ok', format: 'hubble', record: { row: 7 } });
    expect(decodeMessage(`  ${fixture('calico-flow/doc-example-reporter-dst.json')}`, 'auto', withHeader, 1 << 20)).toMatchObject({ status: 'ok', format: 'calico-flow' });
    expect(decodeMessage('1700000000,10.0.0.1,10.0.0.2', 'auto', withHeader, 1 << 20)).toMatchObject({ status: 'ok', format: 'csv', record: { row: 6 } });
    // Without the context, JSON records carry no row.
    const plain = decodeMessage(fixture('hubble/full-dropped-egress.json'), 'auto', ctx, 1 << 20);
    expect(plain.status === 'ok' && plain.record.row).toBeUndefined();
  });

  it('a CSV message over the size limit is rejected before it is split', () => {
    const csv = fileHead('time,src_ip,dst_ip', 1, 'csv', {}).csv;
    expect(decodeMessage('1,10.0.0.1,10.0.0.2'.padEnd(2048, ' '), 'csv', { ...ctx, csv }, 1024)).toMatchObject({ status: 'invalid', reason: 'oversized', format: 'csv' });
  });
});
