import { describe, expect, it } from 'vitest';
import { parseCalicoDns } from '../../../src/parsers/calico-dns.ts';
import type { ParseContext } from '../../../src/parsers/parse-context.ts';
import { fixtureObject } from '../fixture.ts';

const ctx: ParseContext = { cluster: 'prod-eu', now: Date.parse('2026-11-23T00:00:00Z'), maxFutureSkewMs: 3600_000 };

describe('calico-dns parser', () => {
  it('normalises an aggregated TXT lookup record', () => {
    const outcome = parseCalicoDns(fixtureObject('calico-dns/txt-aggregated.json'), ctx);
    expect(outcome).toEqual({
      status: 'ok',
      record: {
        kind: 'dns', format: 'calico-dns', windowStart: 1700000000000, time: 1700000300000,
        client: { cluster: 'prod-eu', namespace: 'ml-train', workload: 'trainer-7d9f', labels: { app: 'trainer' }, kind: 'pod' },
        server: { cluster: 'prod-eu', namespace: 'kube-system', workload: 'coredns', pod: 'coredns-5d78c9869d-abcde', ip: '10.96.0.10', labels: { 'k8s-app': 'kube-dns' }, kind: 'pod' },
        qname: 'a1b2c3.exfil.example.com', qtype: 'TXT', rcode: 'NOERROR',
        answers: [{ name: 'a1b2c3.exfil.example.com', type: 'TXT', data: '...' }],
        count: 42, latencyMeanNs: 850000, latencyMaxNs: 4200000,
      },
    });
  });

  it('upper-cases rcodes, lower-cases names and keeps a single client pod', () => {
    const outcome = parseCalicoDns(fixtureObject('calico-dns/nxdomain.json'), ctx);
    expect(outcome.status).toBe('ok');
    if (outcome.status !== 'ok' || outcome.record.kind !== 'dns') return;
    expect(outcome.record.rcode).toBe('NXDOMAIN');
    expect(outcome.record.qname).toBe('qx7k2mz9.example.org');
    expect(outcome.record.client).toMatchObject({ workload: 'llm-infer', pod: 'llm-infer-6b687c8dcb-zn5s2', ip: '10.244.3.17' });
    expect(outcome.record.answers).toEqual([]);
  });

  it('skips UNLOGGED overflow records with a reason instead of inventing a query', () => {
    expect(parseCalicoDns(fixtureObject('calico-dns/unlogged.json'), ctx)).toEqual({ status: 'skipped', reason: 'calico-dns-unlogged' });
  });

  it.each([
    ['qname', undefined, 'missing-field'],
    ['count', -1, 'out-of-range'],
    ['rcode', 3, 'invalid-field'],
    ['rrsets', 'none', 'invalid-field'],
    ['qname', 'a'.repeat(300), 'out-of-range'],
  ])('rejects %s = %j as %s', (field, value, reason) => {
    const obj: Record<string, unknown> = { ...fixtureObject('calico-dns/txt-aggregated.json') };
    if (value === undefined) delete obj[field];
    else obj[field] = value;
    expect(parseCalicoDns(obj, ctx)).toMatchObject({ status: 'invalid', reason });
  });
});
