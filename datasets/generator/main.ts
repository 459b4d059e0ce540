/**
 * Deterministic generator of multi-cluster AI-platform traffic with labelled attacks.
 *
 *   node datasets/generator/main.ts --seed 7 --hours 24 --out datasets/sample [--scale 1]
 *        [--attacks all|none|name,name] [--attack-scale 1] [--start 2026-11-01T00:00:00Z] [--gzip] [--arrow]
 *
 * Writes calico-flows.jsonl, calico-dns.jsonl (cluster prod-eu, Calico), hubble-flows.jsonl
 * (cluster dev-us, Hubble exporter), labels.jsonl and manifest.json. Same options, same bytes.
 */
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createGzip, type Gzip } from 'node:zlib';
import { devWindow, prodWindow } from './benign.ts';
import { calicoDns, calicoFlows } from './calico-writer.ts';
import { hubbleDns, hubbleFlows, type HubbleEvent } from './hubble-writer.ts';
import { Random } from './random.ts';
import { schedule, SCENARIOS, type AttackContext } from './attacks.ts';
import { addWorkload, devCluster, prodCluster, rollOut, scale as scaleWorkload, WINDOW_MS, workload } from './topology.ts';
import { pod, type SimWindow } from './traffic.ts';
import { ArrowStage } from '../../src/arrow/arrow-stage.ts';
import { loadLabels } from '../../src/evaluation/labels.ts';
import { replayMerged } from '../../src/pipeline/event-time-merge.ts';
import { Ingest } from '../../src/pipeline/ingest.ts';
import { DeadLetterFile } from '../../src/sinks/dead-letter-file.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '7' },
    hours: { type: 'string', default: '24' },
    out: { type: 'string', default: 'datasets/generated' },
    scale: { type: 'string', default: '1' },
    attacks: { type: 'string', default: 'all' },
    'attack-scale': { type: 'string', default: '1' },
    start: { type: 'string', default: '2026-11-01T00:00:00Z' },
    gzip: { type: 'boolean', default: false },
    /** Also write records.arrow.gz: the same records normalised into flowhound's Arrow dataset, labelled, with their original lines. */
    arrow: { type: 'boolean', default: false },
  },
});

const seed = Number(values.seed);
const hours = Number(values.hours);
const scaleFactor = Number(values.scale);
const attackScale = Number(values['attack-scale']);
const startMs = Date.parse(values.start!);
if (![seed, hours, scaleFactor, attackScale, startMs].every(Number.isFinite) || hours <= 0) {
  process.stderr.write('generator: --seed, --hours, --scale, --attack-scale must be numbers and --start an ISO time\n');
  process.exit(2);
}
const out = values.out!;
mkdirSync(out, { recursive: true });

const random = new Random(seed);
const prod = prodCluster(random, 'prod-eu', 24, scaleFactor);
const dev = devCluster(random, 'dev-us', 42, scaleFactor);
const wanted = values.attacks === 'all' ? SCENARIOS : values.attacks === 'none' ? [] : SCENARIOS.filter((s) => values.attacks!.split(',').includes(s.name));
const planned = schedule(wanted, new Random(seed * 7919 + 1), startMs, hours);
const ctx: AttackContext = { prod, dev, random, scale: attackScale };

interface Output { stream: WriteStream | Gzip; records: number; path: string }
function open(name: string): Output {
  const path = join(out, values.gzip ? `${name}.gz` : name);
  const file = createWriteStream(path);
  if (!values.gzip) return { stream: file, records: 0, path };
  const gzip = createGzip({ level: 9 });
  gzip.pipe(file);
  return { stream: gzip, records: 0, path };
}
const files = { flows: open('calico-flows.jsonl'), dns: open('calico-dns.jsonl'), hubble: open('hubble-flows.jsonl') };
async function write(o: Output, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  o.records += lines.length;
  if (!o.stream.write(lines.join('\n') + '\n')) await new Promise<void>((resolve) => o.stream.once('drain', () => resolve()));
}

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

const end = startMs + hours * 3_600_000;
for (let window = startMs; window < end; window += WINDOW_MS) {
  churn(window);
  const w: SimWindow = { connections: [], lookups: [] };
  prodWindow(prod, random, window, w);
  devWindow(dev, random, window, w);
  extraBenign(window, w);
  for (const p of planned) if (window >= p.start && window < p.end) p.scenario.emit(ctx, window, w);

  const calicoLines: string[] = [];
  const hubbleEvents: HubbleEvent[] = [];
  for (const c of w.connections) {
    for (const cluster of [prod, dev]) {
      const involved = (c.src.kind === 'pod' && c.src.cluster === cluster) || (c.dst.kind === 'pod' && c.dst.cluster === cluster);
      if (!involved) continue;
      if (cluster.format === 'calico') calicoLines.push(...calicoFlows(c, cluster));
      else hubbleEvents.push(...hubbleFlows(c, cluster, random));
    }
  }
  const dnsLines: string[] = [];
  for (const l of w.lookups) {
    if (l.cluster.format === 'calico') dnsLines.push(calicoDns(l));
    else hubbleEvents.push(...hubbleDns(l, random));
  }
  hubbleEvents.sort((a, b) => a.time - b.time);
  await write(files.flows, calicoLines);
  await write(files.dns, dnsLines);
  await write(files.hubble, hubbleEvents.map((e) => e.line));
}

for (const o of Object.values(files)) await new Promise<void>((resolve) => o.stream.end(resolve));

const labels = planned.map((p) => {
  const cluster = p.scenario.cluster === 'prod' ? prod : dev;
  const [namespace, name] = p.scenario.workload.split('/') as [string, string];
  return {
    scenario: p.scenario.name, category: p.scenario.category, technique: p.scenario.technique,
    cluster: cluster.name, namespace, workload: name,
    start: new Date(p.start).toISOString(), end: new Date(p.end).toISOString(), description: p.scenario.description,
  };
});
writeFileSync(join(out, 'labels.jsonl'), labels.map((l) => JSON.stringify(l)).join('\n') + (labels.length > 0 ? '\n' : ''));
const manifest = {
  generator: 'datasets/generator/main.ts',
  options: { seed, hours, scale: scaleFactor, attacks: values.attacks, attackScale, start: values.start, gzip: values.gzip },
  clusters: [{ name: prod.name, format: 'calico', files: ['calico-flows.jsonl', 'calico-dns.jsonl'] }, { name: dev.name, format: 'hubble', files: ['hubble-flows.jsonl'] }],
  records: { 'calico-flows': files.flows.records, 'calico-dns': files.dns.records, 'hubble-flows': files.hubble.records },
  scenarios: labels.length,
};
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
if (values.arrow) {
  const labelsPath = join(out, 'labels.jsonl');
  const stage = new ArrowStage(join(out, 'records.arrow.gz'), { labels: loadLabels(labelsPath) });
  const ingest = new Ingest({ deadLetter: new DeadLetterFile(join(out, 'dead-letter.jsonl')), stages: [stage], maxRecordBytes: 1 << 20, maxFutureSkewMs: Number.MAX_SAFE_INTEGER, keepOriginals: true });
  await replayMerged(ingest, Object.values(files).map((f) => ({ path: f.path, format: 'auto' as const, cluster: prod.name, source: 'generator' })), 2_000);
  await ingest.close();
}
process.stderr.write(`generator: ${JSON.stringify(manifest.records)} records, ${labels.length} scenarios → ${out}\n`);
