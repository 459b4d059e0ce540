/**
 * Deterministic generator of multi-cluster AI-platform traffic with labelled attacks.
 *
 *   node datasets/generator/main.ts [--world classic|platform] --seed 7 --hours 24 --out datasets/sample [--scale 1]
 *        [--attacks all|none|name,name] [--attack-scale 1] [--start 2026-11-01T00:00:00Z] [--gzip] [--arrow]
 *
 * classic (default): calico-flows.jsonl, calico-dns.jsonl (cluster prod-eu, Calico) and
 * hubble-flows.jsonl (cluster dev-us, Hubble exporter), 24 h from 2026-11-01 by default.
 * platform: train-eu and infer-eu (Calico flows + DNS, `<cluster>.calico-*.jsonl`) and dev-us
 * (`dev-us.hubble-flows.jsonl`), 7 days (168 h) from Wednesday 2026-11-04 by default.
 * Both write labels.jsonl and manifest.json. Same options, same bytes.
 */
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createGzip, type Gzip } from 'node:zlib';
import { calicoDns, calicoFlows } from './calico-writer.ts';
import { classicWorld } from './classic.ts';
import { hubbleDns, hubbleFlows, type HubbleEvent } from './hubble-writer.ts';
import { platformWorld } from './platform.ts';
import { WINDOW_MS, type SimCluster } from './topology.ts';
import type { SimWindow } from './traffic.ts';
import type { World, WorldFile } from './world.ts';
import { ArrowStage } from '../../src/arrow/arrow-stage.ts';
import { loadLabels } from '../../src/evaluation/labels.ts';
import { replayMerged } from '../../src/pipeline/event-time-merge.ts';
import { Ingest } from '../../src/pipeline/ingest.ts';
import { DeadLetterFile } from '../../src/sinks/dead-letter-file.ts';

const WORLDS = {
  classic: { build: classicWorld, hours: '24', start: '2026-11-01T00:00:00Z' },
  platform: { build: platformWorld, hours: '168', start: '2026-11-04T00:00:00Z' },
} as const;

const { values } = parseArgs({
  options: {
    world: { type: 'string', default: 'classic' },
    seed: { type: 'string', default: '7' },
    /** Default: 24 (classic), 168 (platform). */
    hours: { type: 'string' },
    out: { type: 'string', default: 'datasets/generated' },
    scale: { type: 'string', default: '1' },
    attacks: { type: 'string', default: 'all' },
    'attack-scale': { type: 'string', default: '1' },
    /** Default: 2026-11-01T00:00:00Z (classic), 2026-11-04T00:00:00Z, a Wednesday (platform). */
    start: { type: 'string' },
    gzip: { type: 'boolean', default: false },
    /** Also write records.arrow.gz: the same records normalised into flowhound's Arrow dataset, labelled, with their original lines. */
    arrow: { type: 'boolean', default: false },
  },
});

if (!Object.hasOwn(WORLDS, values.world!)) {
  process.stderr.write(`generator: --world must be one of ${Object.keys(WORLDS).join(', ')}\n`);
  process.exit(2);
}
const worldSpec = WORLDS[values.world as keyof typeof WORLDS];
const start = values.start ?? worldSpec.start;
const seed = Number(values.seed);
const hours = Number(values.hours ?? worldSpec.hours);
const scaleFactor = Number(values.scale);
const attackScale = Number(values['attack-scale']);
const startMs = Date.parse(start);
if (![seed, hours, scaleFactor, attackScale, startMs].every(Number.isFinite) || hours <= 0) {
  process.stderr.write('generator: --seed, --hours, --scale, --attack-scale must be numbers and --start an ISO time\n');
  process.exit(2);
}
const out = values.out!;
mkdirSync(out, { recursive: true });
const began = Date.now();

const world: World = worldSpec.build({ seed, hours, startMs, start, scale: scaleFactor, attackScale, attacks: values.attacks! });

interface Output { file: WorldFile; stream: WriteStream | Gzip; records: number; path: string; pending: string[] }
function open(file: WorldFile): Output {
  const path = join(out, values.gzip ? `${file.name}.gz` : file.name);
  const stream = createWriteStream(path);
  if (!values.gzip) return { file, stream, records: 0, path, pending: [] };
  const gzip = createGzip({ level: 9 });
  gzip.pipe(stream);
  return { file, stream: gzip, records: 0, path, pending: [] };
}
const outputs = world.files.map(open);
const byKey = new Map<string, Output>(outputs.map((o) => [`${o.file.cluster.name}/${o.file.kind}`, o]));
const output = (cluster: SimCluster, kind: WorldFile['kind']): Output => {
  const o = byKey.get(`${cluster.name}/${kind}`);
  if (o === undefined) throw new Error(`no ${kind} file for cluster ${cluster.name}`);
  return o;
};
async function flush(o: Output): Promise<void> {
  const lines = o.pending;
  o.pending = [];
  if (lines.length === 0) return;
  o.records += lines.length;
  if (!o.stream.write(lines.join('\n') + '\n')) await new Promise<void>((resolve) => o.stream.once('drain', () => resolve()));
}

const random = world.writerRandom;
const maxEvents = world.hubbleMaxEvents;
const end = startMs + hours * 3_600_000;
for (let window = startMs; window < end; window += WINDOW_MS) {
  const w: SimWindow = { connections: [], lookups: [] };
  world.step(window, w);

  const hubbleEvents = new Map<SimCluster, HubbleEvent[]>();
  const hubble = (cluster: SimCluster) => {
    let events = hubbleEvents.get(cluster);
    if (events === undefined) hubbleEvents.set(cluster, (events = []));
    return events;
  };
  for (const c of w.connections) {
    for (const cluster of world.clusters) {
      const involved = (c.src.kind === 'pod' && c.src.cluster === cluster) || (c.dst.kind === 'pod' && c.dst.cluster === cluster);
      if (!involved) continue;
      if (cluster.format === 'calico') output(cluster, 'calico-flows').pending.push(...calicoFlows(c, cluster));
      else hubble(cluster).push(...(maxEvents === undefined ? hubbleFlows(c, cluster, random) : hubbleFlows(c, cluster, random, maxEvents.flows)));
    }
  }
  for (const l of w.lookups) {
    if (l.cluster.format === 'calico') output(l.cluster, 'calico-dns').pending.push(calicoDns(l));
    else hubble(l.cluster).push(...(maxEvents === undefined ? hubbleDns(l, random) : hubbleDns(l, random, maxEvents.dns)));
  }
  for (const [cluster, events] of hubbleEvents) {
    events.sort((a, b) => a.time - b.time);
    output(cluster, 'hubble-flows').pending.push(...events.map((e) => e.line));
  }
  for (const o of outputs) await flush(o);
}

for (const o of outputs) await new Promise<void>((resolve) => o.stream.end(resolve));

const labels = world.labels();
writeFileSync(join(out, 'labels.jsonl'), labels.map((l) => JSON.stringify(l)).join('\n') + (labels.length > 0 ? '\n' : ''));
const records = new Map(outputs.map((o) => [o.file.name, o.records]));
writeFileSync(join(out, 'manifest.json'), JSON.stringify(world.manifest(records, labels.length, values.gzip!), null, 2) + '\n');
if (values.arrow) {
  const labelsPath = join(out, 'labels.jsonl');
  const stage = new ArrowStage(join(out, 'records.arrow.gz'), { labels: loadLabels(labelsPath) });
  const ingest = new Ingest({ deadLetter: new DeadLetterFile(join(out, 'dead-letter.jsonl')), stages: [stage], maxRecordBytes: 1 << 20, maxFutureSkewMs: Number.MAX_SAFE_INTEGER, keepOriginals: true });
  await replayMerged(ingest, outputs.map((o) => ({ path: o.path, format: 'auto' as const, cluster: o.file.replayCluster, source: 'generator' })), 2_000);
  await ingest.close();
}
const counts = Object.fromEntries(outputs.map((o) => [o.file.name.replace(/\.jsonl$/, ''), o.records]));
process.stderr.write(`generator: ${JSON.stringify(counts)} records, ${labels.length} scenarios → ${out} (${((Date.now() - began) / 1000).toFixed(1)} s)\n`);
