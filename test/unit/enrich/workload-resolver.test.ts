import { describe, expect, it } from 'vitest';
import { WorkloadResolver } from '../../../src/enrich/workload-resolver.ts';
import { NO_LABELS, type Endpoint } from '../../../src/model/endpoint.ts';
import { workloadKey } from '../../../src/model/workload.ts';

const pod = (namespace: string, workload: string, labels: Record<string, string> = NO_LABELS): Endpoint => ({ cluster: 'prod-eu', namespace, workload, labels, kind: 'pod' });

describe('WorkloadResolver', () => {
  it('gives every record of a workload the same identity: its key, built once, and its resolved workload', () => {
    const resolver = new WorkloadResolver();
    const first = resolver.identify(pod('ml-train', 'llm-finetune'));
    expect(first.key).toBe(workloadKey(pod('ml-train', 'llm-finetune')));
    expect(first.workload).toEqual({ cluster: 'prod-eu', namespace: 'ml-train', name: 'llm-finetune', role: 'training', env: 'prod' });
    expect(resolver.identify(pod('ml-train', 'llm-finetune'))).toBe(first);
    expect(resolver.resolve(pod('ml-train', 'llm-finetune'))).toBe(first.workload);
    expect(resolver.identify(pod('ml-train', 'llm-finetune-2'))).not.toBe(first);
  });

  it('resolves a workload from the first endpoint seen of it, whatever labels later records carry', () => {
    const resolver = new WorkloadResolver();
    expect(resolver.resolve(pod('apps', 'web', { 'flowhound.io/role': 'inference' })).role).toBe('inference');
    expect(resolver.resolve(pod('apps', 'web', { 'flowhound.io/role': 'dev' })).role).toBe('inference');
  });

  it('peeks without resolving, and holds at most maxCached workloads, the oldest going first', () => {
    const resolver = new WorkloadResolver({ maxCached: 2 });
    expect(resolver.peek(pod('a', 'x'))).toBeUndefined();
    const x = resolver.identify(pod('a', 'x'));
    const y = resolver.identify(pod('b', 'y'));
    expect(resolver.peek(pod('a', 'x'))).toBe(x);
    resolver.identify(pod('a', 'z'));
    expect(resolver.peek(pod('a', 'x'))).toBeUndefined();
    expect(resolver.peek(pod('b', 'y'))).toBe(y);
    // A workload met again after its eviction is resolved afresh, from the endpoint at hand.
    expect(resolver.identify(pod('a', 'x', { 'flowhound.io/role': 'data' })).workload.role).toBe('data');
  });

  it('makes a unit of a host, network set or address: by its own name when it has one, else by its IP, with the role of its kind', () => {
    const resolver = new WorkloadResolver();
    const other = (kind: Endpoint['kind'], workload: string, ip?: string, labels: Record<string, string> = NO_LABELS): Endpoint => ({ cluster: kind === 'public' || kind === 'private' ? '' : 'prod-eu', namespace: '', workload, ...(ip === undefined ? {} : { ip }), labels, kind });
    // A node whose name matches the training rules is still a host, not a training job.
    expect(resolver.unit(other('host', 'gpu-train-3', '10.0.0.3'))).toMatchObject({ key: 'prod-eu//gpu-train-3', workload: { name: 'gpu-train-3', role: 'host', env: 'prod' } });
    // Hubble's reserved identities are shared by every node: the IP tells them apart...
    const node = resolver.unit(other('host', 'remote-node', '10.0.0.12'))!;
    expect(node).toMatchObject({ key: 'prod-eu//10.0.0.12', workload: { role: 'host' } });
    // ...while the peer a pod's edge names stays the shared identity it always was.
    expect(resolver.identify(other('host', 'remote-node', '10.0.0.12'))).toMatchObject({ key: 'prod-eu//remote-node', workload: { role: 'host' } });
    expect(resolver.unit(other('networkset', 'allowed-s3'))).toMatchObject({ key: 'prod-eu//allowed-s3', workload: { role: 'networkset' } });
    expect(resolver.unit(other('public', 'pub', '203.0.113.9'))).toMatchObject({ key: '//203.0.113.9', workload: { role: 'external' } });
    expect(resolver.unit(other('private', 'pvt', '10.2.0.1'))).toMatchObject({ key: '//10.2.0.1', workload: { role: 'ip' } });
    // A flow format that names the address (the CSV format: workload = the IP).
    expect(resolver.unit(other('private', '10.2.0.1', '10.2.0.1'))).toBe(resolver.unit(other('private', 'pvt', '10.2.0.1')));
    // Calico's aggregated buckets are no one party.
    expect(resolver.unit(other('public', 'pub'))).toBeUndefined();
    expect(resolver.unit(other('private', 'pvt'))).toBeUndefined();
    // A label still decides; pods are what they were.
    expect(resolver.unit(other('host', 'bastion', '10.0.0.9', { 'flowhound.io/role': 'system' }))?.workload.role).toBe('system');
    expect(resolver.unit(pod('ml-train', 'llm-finetune'))).toBe(resolver.identify(pod('ml-train', 'llm-finetune')));
  });
});
