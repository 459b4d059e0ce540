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
});
