import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../src/parsers/record-decoder.ts';
import type { ParseContext } from '../../../src/parsers/parse-context.ts';
import { fixture } from '../fixture.ts';

const ctx: ParseContext = { cluster: 'c1', now: Date.parse('2026-11-23T00:00:00Z'), maxFutureSkewMs: 3600_000 };

describe('decodeMessage', () => {
  it.each([
    ['calico-flow/doc-example-reporter-dst.json', 'calico-flow', 'flow'],
    ['calico-dns/txt-aggregated.json', 'calico-dns', 'dns'],
    ['hubble/full-dropped-egress.json', 'hubble', 'flow'],
    ['hubble/dns-response.json', 'hubble', 'dns'],
  ])('detects %s as %s with format auto', (path, format, kind) => {
    const result = decodeMessage(Buffer.from(fixture(path)), 'auto', ctx, 1 << 20);
    expect(result.format).toBe(format);
    expect(result).toMatchObject({ status: 'ok', record: { kind } });
  });

  it('classifies what cannot be parsed, never throwing', () => {
    expect(decodeMessage('{"start_time": 1', 'auto', ctx, 1 << 20)).toMatchObject({ status: 'invalid', reason: 'malformed-json' });
    expect(decodeMessage('[1,2]', 'auto', ctx, 1 << 20)).toMatchObject({ status: 'invalid', reason: 'not-an-object' });
    expect(decodeMessage('{"hello":"world"}', 'auto', ctx, 1 << 20)).toMatchObject({ status: 'invalid', reason: 'unknown-format', format: undefined });
    expect(decodeMessage(Buffer.alloc(2048, 32), 'auto', ctx, 1024)).toMatchObject({ status: 'invalid', reason: 'oversized' });
    expect(decodeMessage(Buffer.from([0xff, 0xfe, 0x00]), 'calico-flow', ctx, 1024)).toMatchObject({ status: 'invalid', reason: 'malformed-json', format: 'calico-flow' });
  });

  it('parses with the configured format even when auto would guess otherwise', () => {
    const dnsLine = fixture('calico-dns/txt-aggregated.json');
    expect(decodeMessage(dnsLine, 'calico-flow', ctx, 1 << 20)).toMatchObject({ status: 'invalid', reason: 'missing-field', format: 'calico-flow' });
  });
});
