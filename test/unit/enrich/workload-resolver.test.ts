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
});
