import { BoundedSet } from '../../../src/baseline/bounded.ts';
import { PeerGroups } from '../../../src/baseline/peer-groups.ts';
import { emptyWindow, type EdgeUse, type WindowStats } from '../../../src/baseline/window-stats.ts';
import { createBaseline, updateBaseline } from '../../../src/baseline/workload-baseline.ts';
import { compileSettings, DEFAULT_DETECTION_SETTINGS } from '../../../src/detectors/settings.ts';
import type { DetectorContext } from '../../../src/detectors/types.ts';
import type { Environment, Role, Workload } from '../../../src/model/workload.ts';

export const MIN5 = 300_000;
export const T0 = Date.parse('2026-11-02T00:00:00Z');

export function workload(name: string, role: Role, env: Environment = 'prod', cluster = 'prod-eu', namespace = 'ns'): Workload {
  return { cluster, namespace, name, role, env };
}

export function keyOf(w: Workload): string {
  return `${w.cluster}/${w.namespace}/${w.name}`;
}

/** A window of `w` starting `index` windows after T0. */
export function window(w: Workload, index = 0): WindowStats {
  const start = T0 + index * MIN5;
  return emptyWindow(keyOf(w), w, start, start + MIN5);
}

/** Adds an outgoing edge (and its totals) to a window, as the accumulator would. */
export function edge(win: WindowStats, e: Partial<EdgeUse> & { peer: string }): EdgeUse {
  const full: EdgeUse = { peerKind: 'pod', port: 443, protocol: 'tcp', bytesOut: 1_000, bytesIn: 1_000, connections: 1, denied: 0, firstAt: win.start, ...e };
  win.edges.set(`${full.peer}|${full.port}|${full.protocol}`, full);
  win.activeOut = true;
  win.connections += full.connections;
  win.denied += full.denied;
  if (full.denied < full.connections) {
    win.bytesOut += full.bytesOut;
    if (full.peerKind === 'public') {
      win.externalBytesOut += full.bytesOut;
      win.externalConnections += full.connections;
    } else win.internalBytesOut += full.bytesOut;
  }
  return full;
}

export function domain(win: WindowStats, name: string, use: { queries?: number; nxdomain?: number; tunnelTypes?: number; subdomains?: string[]; highEntropy?: number; maxLabelLength?: number }): void {
  const subdomains = new BoundedSet<string>(2048);
  for (const s of use.subdomains ?? []) subdomains.add(s);
  win.domains.set(name, { queries: use.queries ?? 1, nxdomain: use.nxdomain ?? 0, tunnelTypes: use.tunnelTypes ?? 0, subdomains, maxLabelLength: use.maxLabelLength ?? 5, highEntropy: use.highEntropy ?? 0, example: `x.${name}` });
  win.dnsQueries += use.queries ?? 1;
  win.dnsNxdomain += use.nxdomain ?? 0;
}

/**
 * A detector context whose baseline has learned `windows` windows produced by `normal(i)`
 * (each a window of `w`), with the peer groups of `others` workloads doing the same.
 */
export function learned(w: Workload, windows: number, normal: (win: WindowStats, i: number) => void, options: { learned?: boolean; roleLearned?: boolean; others?: Workload[] } = {}): DetectorContext & { next: () => WindowStats } {
  const baseline = createBaseline(keyOf(w), w, T0);
  const peerGroups = new PeerGroups();
  for (let i = 0; i < windows; i++) {
    const win = window(w, i);
    normal(win, i);
    updateBaseline(baseline, win);
    peerGroups.update(win);
    for (const other of options.others ?? []) {
      const otherWindow = window(other, i);
      normal(otherWindow, i);
      peerGroups.update(otherWindow);
    }
  }
  return {
    baseline,
    learned: options.learned ?? true,
    roleLearned: options.roleLearned ?? true,
    peerGroups,
    settings: compileSettings(DEFAULT_DETECTION_SETTINGS),
    next: () => window(w, windows),
  };
}
