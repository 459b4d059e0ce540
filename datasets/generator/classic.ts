/**
 * The classic world: prod-eu (Calico) and dev-us (Hubble), one day by default, attacks after an
 * 8-hour learning period. Its output is fixed: datasets/sample is this world at --seed 7 --hours 24.
 */
import { devWindow, prodWindow } from './benign.ts';
import { Random } from './random.ts';
import { schedule, SCENARIOS, type AttackContext } from './attacks.ts';
import { addWorkload, devCluster, prodCluster, rollOut, scale as scaleWorkload, workload } from './topology.ts';
import { pod, type SimWindow } from './traffic.ts';
import type { LabelLine, World, WorldOptions } from './world.ts';

export function classicWorld(options: WorldOptions): World {
  const { seed, hours, startMs } = options;
  const random = new Random(seed);
  const prod = prodCluster(random, 'prod-eu', 24, options.scale);
  const dev = devCluster(random, 'dev-us', 42, options.scale);
  const wanted = options.attacks === 'all' ? SCENARIOS : options.attacks === 'none' ? [] : SCENARIOS.filter((s) => options.attacks.split(',').includes(s.name));
  const planned = schedule(wanted, new Random(seed * 7919 + 1), startMs, hours);
  const ctx: AttackContext = { prod, dev, random, scale: options.attackScale };

  /** Ordinary churn: rollouts, scaling, new jobs and notebooks, a new benign peer. */
  function churn(window: number): void {
    const hour = (window - startMs) / 3_600_000;
    if (hour === 10) scaleWorkload(prod, random, workload(prod, 'ml-serve/embedder'), 3);
    if (hour === 14) rollOut(prod, random, workload(prod, 'ml-serve/llm-infer'));
    if (hour === 12) addWorkload(prod, random, { namespace: 'ml-train', name: 'llm-eval', kind: 'Job', labels: { app: 'llm-eval', 'app.kubernetes.io/component': 'training', 'job-name': 'llm-eval' }, replicas: 1 });
    if (hour === 9) addWorkload(dev, random, { namespace: 'notebooks', name: 'jupyter-gus', kind: 'StatefulSet', labels: { app: 'jupyter-gus', 'app.kubernetes.io/component': 'notebook', env: 'dev' }, replicas: 1 });
  }

  function extraBenign(window: number, w: SimWindow): void {
    const hour = (window - startMs) / 3_600_000;
    if (hour >= 12 && prod.workloads.has('ml-train/llm-eval')) {
      const evalJob = workload(prod, 'ml-train/llm-eval');
      w.connections.push({ window, src: pod(prod, evalJob), dst: pod(prod, workload(prod, 'data/minio')), port: 9000, protocol: 'tcp', connections: 3, bytesOut: 20_000, bytesIn: 150_000_000, denied: false });
    }
    if (hour >= 16) w.connections.push({ window, src: pod(prod, workload(prod, 'ml-serve/llm-infer')), dst: pod(prod, workload(prod, 'ml-serve/embedder')), port: 8081, protocol: 'tcp', connections: 2, bytesOut: 5_000, bytesIn: 9_000, denied: false });
    // A few benign denials: a notebook probing a port its policy does not open.
    if (random.chance(0.03)) w.connections.push({ window, src: pod(dev, workload(dev, 'notebooks/jupyter-alice')), dst: pod(dev, workload(dev, 'data/postgres')), port: 5433, protocol: 'tcp', connections: 1, bytesOut: 60, bytesIn: 0, denied: true });
  }

  return {
    clusters: [prod, dev],
    files: [
      { name: 'calico-flows.jsonl', cluster: prod, kind: 'calico-flows', replayCluster: prod.name },
      { name: 'calico-dns.jsonl', cluster: prod, kind: 'calico-dns', replayCluster: prod.name },
      { name: 'hubble-flows.jsonl', cluster: dev, kind: 'hubble-flows', replayCluster: prod.name },
    ],
    writerRandom: random,
    step(window, w) {
      churn(window);
      prodWindow(prod, random, window, w);
      devWindow(dev, random, window, w);
      extraBenign(window, w);
      for (const p of planned) if (window >= p.start && window < p.end) p.scenario.emit(ctx, window, w);
    },
    labels(): LabelLine[] {
      return planned.map((p) => {
        const cluster = p.scenario.cluster === 'prod' ? prod : dev;
        const [namespace, name] = p.scenario.workload.split('/') as [string, string];
        return {
          scenario: p.scenario.name, category: p.scenario.category, technique: p.scenario.technique,
          cluster: cluster.name, namespace, workload: name,
          start: new Date(p.start).toISOString(), end: new Date(p.end).toISOString(), description: p.scenario.description,
        };
      });
    },
    manifest(records, labels, gzip) {
      return {
        generator: 'datasets/generator/main.ts',
        options: { seed, hours, scale: options.scale, attacks: options.attacks, attackScale: options.attackScale, start: options.start, gzip },
        clusters: [{ name: prod.name, format: 'calico', files: ['calico-flows.jsonl', 'calico-dns.jsonl'] }, { name: dev.name, format: 'hubble', files: ['hubble-flows.jsonl'] }],
        records: { 'calico-flows': records.get('calico-flows.jsonl'), 'calico-dns': records.get('calico-dns.jsonl'), 'hubble-flows': records.get('hubble-flows.jsonl') },
        scenarios: labels,
      };
    },
  };
}
