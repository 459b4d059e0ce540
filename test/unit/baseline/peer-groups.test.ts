import { describe, expect, it } from 'vitest';
import { PeerGroups } from '../../../src/baseline/peer-groups.ts';
import { emptyWindow } from '../../../src/baseline/window-stats.ts';
import type { Role } from '../../../src/model/workload.ts';

const T0 = Date.parse('2026-11-02T00:00:00Z');
const MIN5 = 300_000;

function windowOf(cluster: string, namespace: string, name: string, role: Role, start: number) {
  return emptyWindow(`${cluster}/${namespace}/${name}`, { cluster, namespace, name, role, env: 'prod' }, start, start + MIN5);
}

describe('PeerGroups role age and members', () => {
  it('tells when a role first had a member, as of the view', () => {
    const groups = new PeerGroups();
    groups.part(0).update(windowOf('a', 'ml', 'trainer', 'training', T0 + 10 * MIN5));
    groups.part(1).update(windowOf('b', 'ml', 'trainer', 'training', T0 + 3 * MIN5));
    expect(groups.roleSince('training')).toBe(T0 + 3 * MIN5);
    expect(groups.roleSince('inference')).toBeUndefined();
    // A view as of a time before the first member joined knows of none; at the join bucket, not yet.
    expect(groups.at(T0 + 3 * MIN5).roleSince('training')).toBeUndefined();
    expect(groups.at(T0 + 4 * MIN5).roleSince('training')).toBe(T0 + 3 * MIN5);
  });

  it('finds a member by its key, only among those the view counts', () => {
    const groups = new PeerGroups();
    groups.update(windowOf('infer-eu', 'egress', 'ai-egress-gateway', 'gateway', T0 + 5 * MIN5));
    const inInfer = (key: string) => key.startsWith('infer-eu/');
    expect(groups.hasMember('gateway', inInfer)).toBe(true);
    expect(groups.hasMember('gateway', (key) => key.startsWith('dev-us/'))).toBe(false);
    expect(groups.at(T0 + 5 * MIN5).hasMember('gateway', inInfer)).toBe(false);
    expect(groups.at(T0 + 6 * MIN5).hasMember('gateway', inInfer)).toBe(true);
  });

  it('counts the users of a shared service among units of the same kind: kubelets and addresses do not vouch for pods', () => {
    const groups = new PeerGroups();
    const edge = 'prod-eu/data/postgres|5432|tcp';
    const use = (name: string, role: Role) => {
      const w = windowOf('prod-eu', role === 'host' || role === 'ip' ? '' : 'apps', name, role, T0);
      w.edges.set(edge, { peer: 'prod-eu/data/postgres', peerKind: 'pod', port: 5432, protocol: 'tcp', bytesOut: 1, bytesIn: 1, connections: 1, denied: 0, firstAt: T0 });
      groups.update(w);
    };
    use('web', 'other');
    use('api', 'inference');
    for (const n of ['node-1', 'node-2', 'node-3']) use(n, 'host');
    use('10.2.0.1', 'ip');
    expect(groups.usersOf(edge, 'prod-eu/apps/new')).toBe(2);
    expect(groups.usersOf(edge, 'prod-eu/apps/new', 'training')).toBe(2);
    expect(groups.usersOf(edge, 'prod-eu//node-4', 'host')).toBe(3);
    expect(groups.usersOf(edge, 'prod-eu//node-1', 'host')).toBe(2);
    expect(groups.usersOf(edge, '//10.2.0.9', 'ip')).toBe(1);
  });
});
