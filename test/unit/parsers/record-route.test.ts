/**
 * routeMessage (replay --to kafka) reads only the event time and key of a line; it must agree
 * with the full decode wherever the decode has a record, skip what it skips, and never call a
 * line invalid that the decode accepts. Checked on the shipped sample and on the fixtures with
 * every field, at every depth, removed or replaced by a wrong type.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventTime } from '../../../src/model/normalized-record.ts';
import type { ParseContext } from '../../../src/parsers/parse-context.ts';
import { decodeMessage, routeMessage } from '../../../src/parsers/record-decoder.ts';
import { keyOf } from '../../../src/model/workload.ts';
import { readLineBatches } from '../../../src/sources/file-source.ts';
import { fixture } from '../fixture.ts';

const ctx: ParseContext = { cluster: 'prod-eu', now: Date.now(), maxFutureSkewMs: Number.MAX_SAFE_INTEGER };
const FIXTURES = join(import.meta.dirname, '../../fixtures');

/** The relation between the two on one line; returns what the decode made of it. */
function expectAgreement(line: string): string {
  const decoded = decodeMessage(line, 'auto', ctx, Number.MAX_SAFE_INTEGER);
  const routed = routeMessage(line, ctx);
  if (decoded.status === 'ok') {
    expect(routed).toEqual({ status: 'ok', format: decoded.format, route: { time: eventTime(decoded.record), key: keyOf(decoded.record) } });
  } else if (decoded.status === 'skipped') {
    expect(routed).toEqual({ status: 'skipped', format: decoded.format });
  } else {
    // Invalid for the decode: the route may still find its time and key (the consumer dead-letters it).
    expect(routed.status).not.toBe('skipped');
    expect(routed.format).toBe(decoded.format);
  }
  return decoded.status;
}

/** Every variant of an object with one field (at any depth) removed or of a wrong type. */
function* mutations(value: unknown): Generator<unknown> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) for (const m of mutations(value[i])) yield value.map((v, j) => (j === i ? m : v));
    return;
  }
  if (typeof value !== 'object' || value === null) {
    yield* [null, 42, 'x', '', [], {}, -1, '2026-13-45T99:00:00Z'];
    return;
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const { [key]: _, ...rest } = obj;
    yield rest;
    for (const m of mutations(obj[key])) yield { ...obj, [key]: m };
    yield { ...obj, [key]: null };
  }
}

describe('routeMessage', () => {
  it('gives the decoded record’s event time and key for every line of the shipped sample', async () => {
    const seen = new Map<string, number>();
    for (const file of ['calico-flows.jsonl.gz', 'calico-dns.jsonl.gz', 'hubble-flows.jsonl.gz']) {
      for await (const batch of readLineBatches(join(import.meta.dirname, '../../../datasets/sample', file), 5_000)) {
        for (const message of batch) {
          const status = expectAgreement(String(message.value));
          seen.set(status, (seen.get(status) ?? 0) + 1);
        }
      }
    }
    expect(seen.get('ok')).toBeGreaterThan(1_000);
  });

  it('agrees with the decode on the fixtures and on every mutation of them', () => {
    const outcomes = new Map<string, number>();
    for (const format of readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      for (const file of readdirSync(join(FIXTURES, format.name))) {
        const original: unknown = JSON.parse(fixture(`${format.name}/${file}`));
        for (const variant of [original, ...mutations(original)]) {
          const status = expectAgreement(JSON.stringify(variant));
          outcomes.set(status, (outcomes.get(status) ?? 0) + 1);
        }
      }
    }
    // The mutations reach all three outcomes, so each branch above was exercised.
    expect([...outcomes.keys()].sort()).toEqual(['invalid', 'ok', 'skipped']);
    expect(outcomes.get('invalid')).toBeGreaterThan(100);
  });

  it('reads the labels of pod-less endpoints, which name them', () => {
    const line = JSON.stringify({
      flow: {
        time: '2026-11-01T00:00:01Z',
        verdict: 'FORWARDED',
        IP: { source: '10.0.0.1', destination: '203.0.113.9' },
        l4: { TCP: { source_port: 443, destination_port: 50000 } },
        source: { identity: 7, labels: ['reserved:kube-apiserver'] },
        destination: { identity: 2, labels: ['reserved:world'] },
        Type: 'L3_L4',
      },
      node_name: 'prod-eu/node-1',
    });
    expect(expectAgreement(line)).toBe('ok');
    expect(routeMessage(line, ctx)).toMatchObject({ route: { key: 'prod-eu//kube-apiserver' } });
  });

  it('calls lines invalid that are not JSON objects of a known format', () => {
    for (const line of ['{"start_time": 1', '[1,2]', '{"hello":"world"}']) expect(routeMessage(line, ctx).status).toBe('invalid');
  });
});
