import { describe, expect, it } from 'vitest';
import { parseHubble } from '../../../src/parsers/hubble.ts';
import type { ParseContext } from '../../../src/parsers/parse-context.ts';
import { fixtureObject } from '../fixture.ts';

const ctx: ParseContext = { cluster: 'fallback', now: Date.parse('2026-11-23T00:00:00Z'), maxFutureSkewMs: 3600_000 };

describe('hubble parser', () => {
  it('normalises the exporter example (field-masked, no cluster_name: cluster from node_name)', () => {
    const outcome = parseHubble(fixtureObject('hubble/export-doc-dropped.json'), ctx);
    expect(outcome).toEqual({
      status: 'ok',
      record: {
        kind: 'flow', format: 'hubble',
        windowStart: 1692619938510, windowEnd: 1692619938510, node: 'kind-worker',
        src: { cluster: 'kind-kind', namespace: 'default', workload: 'xwing', pod: 'xwing', ip: '10.244.1.60', labels: {}, kind: 'pod' },
        dst: { cluster: 'kind-kind', namespace: 'default', workload: 'deathstar', pod: 'deathstar-7848d6c4d5-th9v2', ip: '10.244.1.5', labels: {}, kind: 'pod' },
        srcPort: 44916, dstPort: 80, dstFqdns: [], protocol: 'tcp', action: 'deny', reporter: 'unknown',
        bytesToDst: 0, bytesToSrc: 0, packetsToDst: 1, packetsToSrc: 0,
        connections: 1, connectionsStarted: 1, connectionsCompleted: 0, denyReason: 'POLICY_DENIED',
      },
    });
  });

  it('takes cluster, labels and workload from the full endpoint and strips the k8s: prefix', () => {
    const outcome = parseHubble(fixtureObject('hubble/full-dropped-egress.json'), ctx);
    expect(outcome.status).toBe('ok');
    if (outcome.status !== 'ok' || outcome.record.kind !== 'flow') return;
    const r = outcome.record;
    expect(r.src).toEqual({ cluster: 'topgun', namespace: 'net-lab', workload: 'traffic-generator', workloadKind: 'Deployment', pod: 'traffic-generator-9b649846d-bxqfc', ip: '10.0.1.235', labels: { app: 'traffic-generator' }, kind: 'pod' });
    expect(r.dst.workload).toBe('echo-server');
    expect(r.reporter).toBe('src');
    expect(r.denyReason).toBe('POLICY_DENY');
    expect(r.node).toBe('cilium-w1');
  });

  it('flips reply packets so the initiator is the source, and keeps the FQDN of the world side', () => {
    const outcome = parseHubble(fixtureObject('hubble/reply-from-world.json'), ctx);
    if (outcome.status !== 'ok' || outcome.record.kind !== 'flow') throw new Error('expected a flow');
    const r = outcome.record;
    expect(r.src).toMatchObject({ cluster: 'dev-us', namespace: 'notebooks', workload: 'jupyter-alice', kind: 'pod' });
    expect(r.dst).toEqual({ cluster: '', namespace: '', workload: 'pub', ip: '104.18.7.192', labels: { 'reserved:world': '' }, kind: 'public' });
    expect(r.dstPort).toBe(443);
    expect(r.srcPort).toBe(51234);
    expect(r.dstFqdns).toEqual(['huggingface.co']);
    expect(r.packetsToSrc).toBe(1);
    expect(r.packetsToDst).toBe(0);
    expect(r.connectionsStarted).toBe(0);
    expect(r.connections).toBe(0);
    expect(r.action).toBe('allow');
  });

  it('turns an L7 DNS response into a DNS record for the client side', () => {
    const outcome = parseHubble(fixtureObject('hubble/dns-response.json'), ctx);
    expect(outcome.status).toBe('ok');
    if (outcome.status !== 'ok' || outcome.record.kind !== 'dns') throw new Error('expected dns');
    const r = outcome.record;
    expect(r.client).toMatchObject({ cluster: 'dev-us', namespace: 'notebooks', workload: 'jupyter-alice', ip: '10.0.1.40' });
    expect(r.server).toMatchObject({ namespace: 'kube-system', workload: 'coredns' });
    expect(r.qname).toBe('huggingface.co');
    expect(r.qtype).toBe('A');
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers).toEqual([
      { name: 'huggingface.co', type: 'A', data: '104.18.7.192', ttl: 60 },
      { name: 'huggingface.co', type: 'AAAA', data: '2606:4700::6812:7c0', ttl: 60 },
    ]);
    expect(r.count).toBe(1);
    expect(r.latencyMeanNs).toBe(1200000);
    expect(r.time).toBe(Date.parse('2026-07-31T10:41:04.500Z'));
  });

  it('maps numeric rcodes to mnemonics', () => {
    const obj = fixtureObject('hubble/dns-response.json') as { flow: { l7: { dns: Record<string, unknown> } } };
    obj.flow.l7.dns.rcode = 3;
    obj.flow.l7.dns.ips = [];
    const outcome = parseHubble(obj as unknown as Record<string, unknown>, ctx);
    expect(outcome).toMatchObject({ status: 'ok', record: { rcode: 'NXDOMAIN', answers: [] } });
  });

  it('skips DNS requests and non-flow exporter lines with a reason', () => {
    expect(parseHubble(fixtureObject('hubble/dns-request.json'), ctx)).toEqual({ status: 'skipped', reason: 'hubble-dns-request' });
    expect(parseHubble(fixtureObject('hubble/lost-events.json'), ctx)).toEqual({ status: 'skipped', reason: 'hubble-not-a-flow' });
  });

  it('accepts a bare Flow as printed by older `hubble observe -o json`', () => {
    const bare = fixtureObject('hubble/full-dropped-egress.json').flow as Record<string, unknown>;
    expect(parseHubble(bare, ctx)).toMatchObject({ status: 'ok', record: { kind: 'flow', src: { workload: 'traffic-generator' } } });
  });

  it.each([
    [(f: Record<string, unknown>) => { delete f.verdict; }, 'missing-field'],
    [(f: Record<string, unknown>) => { f.verdict = 'MAYBE'; }, 'invalid-field'],
    [(f: Record<string, unknown>) => { f.time = 'not a time'; }, 'invalid-field'],
    [(f: Record<string, unknown>) => { f.time = '2099-01-01T00:00:00Z'; }, 'future-time'],
    [(f: Record<string, unknown>) => { (f.l4 as { TCP: Record<string, unknown> }).TCP.destination_port = 99999; }, 'out-of-range'],
    [(f: Record<string, unknown>) => { f.source = 'xwing'; }, 'invalid-field'],
  ])('rejects broken flows (%#) as %s', (mutate, reason) => {
    const obj = fixtureObject('hubble/full-dropped-egress.json');
    mutate(obj.flow as Record<string, unknown>);
    expect(parseHubble(obj, ctx)).toMatchObject({ status: 'invalid', reason });
  });
});
