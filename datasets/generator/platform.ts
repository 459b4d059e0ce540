/**
 * The platform world: train-eu and infer-eu (Calico flow + DNS logs) and dev-us (Hubble), a week
 * by default from Wednesday 2026-11-04, 16 labelled attack episodes on days 2–7.
 * See platform-topology.ts, platform-benign.ts and platform-attacks.ts.
 */
import { benignState, dnsFlows, platformBenign } from './platform-benign.ts';
import { PLATFORM_SCENARIOS, schedulePlatform, type AttackContext } from './platform-attacks.ts';
import { Traffic } from './platform-services.ts';
import { buildPlatform } from './platform-topology.ts';
import { Random } from './random.ts';
import type { LabelLine, World, WorldFile, WorldOptions } from './world.ts';

export function platformWorld(options: WorldOptions): World {
  const { seed, hours, startMs } = options;
  const random = new Random(seed);
  const p = buildPlatform(random, options.scale);
  const state = benignState(p, random, startMs, hours);
  const names = options.attacks === 'all' || options.attacks === 'none' ? [] : options.attacks.split(',');
  for (const name of names) if (!PLATFORM_SCENARIOS.some((s) => s.name === name)) process.stderr.write(`generator: no platform scenario ${name} (have ${PLATFORM_SCENARIOS.map((s) => s.name).join(', ')})\n`);
  const wanted = options.attacks === 'all' ? PLATFORM_SCENARIOS : PLATFORM_SCENARIOS.filter((s) => names.includes(s.name));
  const episodes = schedulePlatform(wanted, new Random(seed * 7919 + 3), startMs, hours);
  const ctx: AttackContext = { p, scale: options.attackScale };

  const files: WorldFile[] = [];
  for (const c of p.clusters) {
    if (c.format === 'calico') {
      files.push({ name: `${c.name}.calico-flows.jsonl`, cluster: c, kind: 'calico-flows', replayCluster: c.name });
      files.push({ name: `${c.name}.calico-dns.jsonl`, cluster: c, kind: 'calico-dns', replayCluster: c.name });
    } else files.push({ name: `${c.name}.hubble-flows.jsonl`, cluster: c, kind: 'hubble-flows', replayCluster: c.name });
  }

  const labels = (): LabelLine[] => episodes.map((e) => {
    const [namespace, name] = e.scenario.workload.split('/') as [string, string];
    return {
      scenario: e.scenario.name, category: e.scenario.category, technique: e.scenario.technique,
      cluster: e.scenario.cluster, namespace, workload: name,
      start: new Date(e.start).toISOString(), end: new Date(e.end).toISOString(), description: e.scenario.description,
    };
  });

  return {
    clusters: p.clusters,
    files,
    writerRandom: new Random(seed * 31 + 17),
    hubbleMaxEvents: { flows: 3, dns: 4 },
    step(window, w) {
      platformBenign(state, window, w);
      for (const e of episodes) if (window >= e.start && window < e.end) e.scenario.emit(ctx, e, window, new Traffic(w, window, e.random, state.noisy, state.nodeDomain));
      dnsFlows(state, w, window);
    },
    labels,
    manifest(records, scenarios, gzip) {
      const suffix = gzip ? '.gz' : '';
      const data = files.map((f) => `${f.name}${suffix}@${f.cluster.name}`).join(' ');
      return {
        generator: 'datasets/generator/main.ts',
        world: 'platform',
        options: { world: 'platform', seed, hours, scale: options.scale, attacks: options.attacks, attackScale: options.attackScale, start: options.start, gzip },
        clusters: p.clusters.map((c) => ({ name: c.name, format: c.format, files: files.filter((f) => f.cluster === c).map((f) => f.name + suffix), workloads: c.workloads.size })),
        files: files.map((f) => ({ file: f.name + suffix, cluster: f.cluster.name, format: f.kind === 'calico-flows' ? 'calico-flow' : f.kind === 'calico-dns' ? 'calico-dns' : 'hubble', records: records.get(f.name) })),
        records: Object.fromEntries(files.map((f) => [f.name.replace(/\.jsonl$/, ''), records.get(f.name)])),
        scenarios,
        evaluate: `npx flowhound evaluate --labels labels.jsonl ${data}`,
      };
    },
  };
}
