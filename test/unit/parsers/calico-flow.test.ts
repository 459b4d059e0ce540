import { describe, expect, it } from 'vitest';
import { parseCalicoFlow } from '../../../src/parsers/calico-flow.ts';
import type { ParseContext } from '../../../src/parsers/parse-context.ts';
import type { FlowRecord } from '../../../src/model/flow-record.ts';
import { fixtureObject } from '../fixture.ts';

const ctx: ParseContext = { cluster: 'prod-eu', now: Date.parse('2026-11-23T00:00:00Z'), maxFutureSkewMs: 3600_000 };

function parseOk(obj: Record<string, unknown>): FlowRecord {
  const outcome = parseCalicoFlow(obj, ctx);
  if (outcome.status !== 'ok' || outcome.record.kind !== 'flow') throw new Error(`expected a flow, got ${JSON.stringify(outcome)}`);
  return outcome.record;
}

describe('calico-flow parser', () => {
  it('normalises the documented example (reporter=dst: bytes_in is what the source sent)', () => {
    const r = parseOk(fixtureObject('calico-flow/doc-example-reporter-dst.json'));
    expect(r).toEqual({
      kind: 'flow', format: 'calico-flow',
      windowStart: 1597166083000, windowEnd: 1597166383000,
      node: 'bz-n8kf-kadm-node-1',
      src: { cluster: 'prod-eu', namespace: 'policy-demo', workload: 'access', pod: 'access-6b687c8dcb-zn5s2', ip: '192.168.47.9', labels: { 'pod-template-hash': '6b687c8dcb', app: 'access' }, kind: 'pod' },
      dst: { cluster: 'prod-eu', namespace: 'policy-demo', workload: 'nginx', pod: 'nginx-86c57db685-h6792', ip: '192.168.138.79', labels: { app: 'nginx' }, kind: 'pod' },
      srcPort: 42106, dstPort: 80, dstFqdns: [], protocol: 'tcp', action: 'allow', reporter: 'dst',
      bytesToDst: 388, bytesToSrc: 1113, packetsToDst: 6, packetsToSrc: 5,
      connections: 1, connectionsStarted: 1, connectionsCompleted: 1,
    });
  });

  it('reads aggregated egress to a public network: no IPs, workload from the aggregate, domains kept', () => {
    const r = parseOk(fixtureObject('calico-flow/aggregated-egress-public.json'));
    expect(r.src).toEqual({ cluster: 'prod-eu', namespace: 'ml-train', workload: 'llm-finetune', labels: { app: 'llm-finetune', 'job-name': 'llm-finetune' }, kind: 'pod' });
    expect(r.dst).toEqual({ cluster: '', namespace: '', workload: 'pub', ip: '34.117.59.81', labels: {}, kind: 'public' });
    expect(r.dstFqdns).toEqual(['storage.googleapis.com']);
    expect(r.srcPort).toBeUndefined();
    expect(r.dstService).toBeUndefined();
    // reporter=src: bytes_out is what the source sent
    expect(r.bytesToDst).toBe(7340032);
    expect(r.bytesToSrc).toBe(90210);
    expect(r.connections).toBe(3);
  });

  it('records the service and the denying policy of a denied flow', () => {
    const r = parseOk(fixtureObject('calico-flow/denied-to-service.json'));
    expect(r.action).toBe('deny');
    expect(r.denyReason).toBe('default/data/default.deny-notebooks');
    expect(r.dstService).toEqual({ name: 'postgres', namespace: 'data', port: 'pg' });
    expect(r.dst.workload).toBe('postgres');
  });

  it('accepts labels as a plain list and numeric protocols', () => {
    const obj = { ...fixtureObject('calico-flow/denied-to-service.json'), source_labels: ['app=x', 'tier=web'], proto: '17' };
    const r = parseOk(obj);
    expect(r.src.labels).toEqual({ app: 'x', tier: 'web' });
    expect(r.protocol).toBe('udp');
  });

  it.each([
    ['start_time', undefined, 'missing-field'],
    ['start_time', 'yesterday', 'invalid-field'],
    ['action', 'maybe', 'invalid-field'],
    ['bytes_in', -5, 'out-of-range'],
    ['bytes_out', 1.5, 'out-of-range'],
    ['bytes_out', '12', 'invalid-field'],
    ['dest_port', 70000, 'out-of-range'],
    ['source_type', 'pod', 'invalid-field'],
    ['dest_name_aggr', undefined, 'missing-field'],
    ['end_time', 1000, 'out-of-range'],
    ['reporter', 'both', 'invalid-field'],
  ])('rejects %s = %j as %s', (field, value, reason) => {
    const obj: Record<string, unknown> = { ...fixtureObject('calico-flow/doc-example-reporter-dst.json') };
    if (value === undefined) delete obj[field];
    else obj[field] = value;
    const outcome = parseCalicoFlow(obj, ctx);
    expect(outcome.status).toBe('invalid');
    if (outcome.status === 'invalid') {
      expect(outcome.reason).toBe(reason);
      expect(outcome.detail).toContain(field);
    }
  });

  it('rejects event times far in the future and windows that end before they start', () => {
    const base = fixtureObject('calico-flow/doc-example-reporter-dst.json');
    const future = parseCalicoFlow({ ...base, start_time: 1900000000, end_time: 1900000300 }, ctx);
    expect(future).toMatchObject({ status: 'invalid', reason: 'future-time' });
    const backwards = parseCalicoFlow({ ...base, end_time: 1597166000 }, ctx);
    expect(backwards).toMatchObject({ status: 'invalid', reason: 'out-of-range' });
  });
});
