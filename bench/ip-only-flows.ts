/**
 * A dataset without Kubernetes identity: Calico flow-log lines whose endpoints are all networks
 * (`source_type`/`dest_type` `net`, `*_name` `-`, `*_name_aggr` `pvt` / `pub`) named only by
 * `source_ip` / `dest_ip`, so every unit is a bare IP. Steady traffic — clients on their usual
 * servers and a few public services, on a daily rhythm — with one client that probes ~150 ports
 * of one server (port scan) and later sweeps a /24 for Redis (host sweep).
 *
 *   node bench/ip-only-flows.ts --out DIR [--seed 1] [--hours 24] [--clients 60] [--gzip]
 *   node src/cli/main.ts evaluate --labels DIR/labels.jsonl DIR/calico-flows.jsonl
 *
 * Writes DIR/calico-flows.jsonl(.gz) and DIR/labels.jsonl (workload = the scanner's IP).
 * Same options, same bytes. The unit test test/unit/pipeline/endpoint-units.test.ts judges the
 * same lines in-process.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Random } from '../datasets/generator/random.ts';

export interface IpOnlyOptions {
  seed?: number;
  hours?: number;
  clients?: number;
  /** Start of the data, epoch ms. */
  start?: number;
}

export interface IpOnlyDataset {
  lines: string[];
  /** Labelled episodes (evaluation/labels.ts shape). */
  labels: { scenario: string; category: 'discovery'; technique: string; cluster: string; namespace: string; workload: string; start: string; end: string; description: string }[];
  scanner: string;
}

const WINDOW_MS = 300_000;
const SERVERS = Array.from({ length: 8 }, (_, i) => `10.30.0.${10 + i}`);
const SERVER_PORTS = [5432, 6379, 8080, 443, 9092, 3306, 8443, 27017];
const PUBLIC = ['151.101.0.223', '140.82.112.3', '52.216.8.1'];

/** One Calico flow-log line between two networks known only by their IPs. */
function line(start: number, src: string, dst: string, port: number, fields: { bytesOut: number; bytesIn: number; flows: number; deny?: boolean }): string {
  const net = (ip: string) => (ip.startsWith('10.') ? 'pvt' : 'pub');
  return JSON.stringify({
    start_time: start / 1000, end_time: (start + WINDOW_MS) / 1000,
    source_ip: src, source_name: '-', source_name_aggr: net(src), source_namespace: '-', source_type: 'net', source_labels: '-', source_port: null,
    dest_ip: dst, dest_name: '-', dest_name_aggr: net(dst), dest_namespace: '-', dest_type: 'net', dest_labels: '-', dest_port: port,
    dest_service_name: '-', dest_service_namespace: '-', dest_service_port: '-',
    proto: 'tcp', action: fields.deny === true ? 'deny' : 'allow', reporter: 'src',
    bytes_in: fields.deny === true ? 0 : fields.bytesIn, bytes_out: fields.bytesOut,
    packets_in: fields.deny === true ? 0 : Math.ceil(fields.bytesIn / 1400) + fields.flows, packets_out: Math.ceil(fields.bytesOut / 1400) + fields.flows,
    num_flows: fields.flows, num_flows_started: fields.flows, num_flows_completed: fields.deny === true ? 0 : fields.flows,
  });
}

export function ipOnlyFlows(options: IpOnlyOptions = {}): IpOnlyDataset {
  const random = new Random(options.seed ?? 1);
  const hours = options.hours ?? 24;
  const start = options.start ?? Date.parse('2026-11-01T00:00:00Z');
  const clients = Array.from({ length: options.clients ?? 60 }, (_, i) => `10.20.${Math.floor(i / 200)}.${(i % 200) + 10}`);
  // Each client's usual servers (one or two) and whether it also calls public services.
  const habits = clients.map(() => ({
    servers: Array.from({ length: random.int(1, 2) }, () => random.int(0, SERVERS.length - 1)),
    external: random.chance(0.5) ? random.pick(PUBLIC) : undefined,
  }));
  const scanner = clients[17 % clients.length]!;
  const scanAt = start + Math.floor(hours * 0.5 * 12) * WINDOW_MS;
  const sweepAt = start + Math.floor(hours * 0.6 * 12) * WINDOW_MS;
  const lines: string[] = [];
  for (let t = start; t < start + hours * 3_600_000; t += WINDOW_MS) {
    const hour = new Date(t).getUTCHours();
    const load = 0.6 + 0.4 * Math.sin(((hour - 6) / 24) * 2 * Math.PI);
    clients.forEach((client, c) => {
      const habit = habits[c]!;
      for (const s of habit.servers) {
        if (!random.chance(0.6 + 0.4 * load)) continue;
        const flows = Math.max(1, Math.round(random.int(2, 12) * load));
        lines.push(line(t, client, SERVERS[s]!, SERVER_PORTS[s]!, { bytesOut: Math.round(flows * 2_000 * random.jitter()), bytesIn: Math.round(flows * 20_000 * random.jitter()), flows }));
      }
      if (habit.external !== undefined && random.chance(0.5)) lines.push(line(t, client, habit.external, 443, { bytesOut: Math.round(30_000 * random.jitter()), bytesIn: Math.round(400_000 * random.jitter()), flows: random.int(1, 4) }));
    });
    if (t === scanAt || t === scanAt + WINDOW_MS) {
      // ~150 ports of one server, most refused by policy.
      for (let p = 0; p < 75; p++) {
        const port = 20 + (t === scanAt ? p : p + 75) * 7;
        lines.push(line(t, scanner, SERVERS[3]!, port, { bytesOut: 60, bytesIn: 0, flows: 1, deny: random.chance(0.8) }));
      }
    }
    if (t === sweepAt) for (let h = 1; h <= 60; h++) lines.push(line(t, scanner, `10.30.0.${100 + h}`, 6379, { bytesOut: 120, bytesIn: h % 10 === 0 ? 300 : 0, flows: 1, deny: h % 10 !== 0 }));
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  const labels: IpOnlyDataset['labels'] = [
    { scenario: 'port-scan', category: 'discovery', technique: 'T1046', cluster: '', namespace: '', workload: scanner, start: iso(scanAt), end: iso(scanAt + 2 * WINDOW_MS), description: 'one address probes ~150 ports of a server' },
    { scenario: 'ip-sweep', category: 'discovery', technique: 'T1018', cluster: '', namespace: '', workload: scanner, start: iso(sweepAt), end: iso(sweepAt + WINDOW_MS), description: 'the same address sweeps a /24 for Redis' },
  ];
  return { lines, labels, scanner };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: '/tmp/ip-only' },
      seed: { type: 'string', default: '1' },
      hours: { type: 'string', default: '24' },
      clients: { type: 'string', default: '60' },
      gzip: { type: 'boolean', default: false },
    },
  });
  const dataset = ipOnlyFlows({ seed: Number(values.seed), hours: Number(values.hours), clients: Number(values.clients) });
  mkdirSync(values.out!, { recursive: true });
  const text = `${dataset.lines.join('\n')}\n`;
  const flows = join(values.out!, values.gzip === true ? 'calico-flows.jsonl.gz' : 'calico-flows.jsonl');
  writeFileSync(flows, values.gzip === true ? gzipSync(text) : text);
  writeFileSync(join(values.out!, 'labels.jsonl'), `${dataset.labels.map((l) => JSON.stringify(l)).join('\n')}\n`);
  process.stdout.write(`${dataset.lines.length} flow lines (scanner ${dataset.scanner}) → ${flows}; labels → ${join(values.out!, 'labels.jsonl')}\n`);
}
