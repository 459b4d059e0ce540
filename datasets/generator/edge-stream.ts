/**
 * A labelled IP edge stream in flowhound's CSV flow format, as the streaming-anomaly literature
 * evaluates edge detectors (one row per connection, a per-row label): steady traffic of clients
 * to their usual servers with a daily rhythm, benign churn (first contacts, hourly batch jobs,
 * a heavy backup stream), and bursts mixed in — floods, port scans, host sweeps and a
 * distributed flood of one server.
 *
 *   node datasets/generator/edge-stream.ts --seed 1 --out DIR [--hours 24] [--clients 300]
 *        [--start 1998-06-01T00:00:00Z] [--attacks 8] [--gzip]
 *
 * Writes DIR/flows.csv (header `time,src_ip,dst_ip,src_port,dst_port,protocol,bytes_out,bytes_in,label`,
 * time in epoch seconds, `label` = `benign` or the attack's name) and DIR/labels.jsonl with one
 * episode per single-source attack (the distributed flood has no one initiator: it is labelled
 * per row only). Same options, same bytes.
 */
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createGzip, type Gzip } from 'node:zlib';
import { Random } from './random.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'datasets/generated-edges' },
    hours: { type: 'string', default: '24' },
    clients: { type: 'string', default: '300' },
    start: { type: 'string', default: '1998-06-01T00:00:00Z' },
    attacks: { type: 'string', default: '8' },
    gzip: { type: 'boolean', default: false },
  },
});

const seed = Number(values.seed);
const hours = Number(values.hours);
const clientCount = Number(values.clients);
const startMs = Date.parse(values.start!);
const attackCount = Number(values.attacks);
if (![seed, hours, clientCount, startMs, attackCount].every(Number.isFinite) || hours <= 0 || clientCount < 10) {
  process.stderr.write('edge-stream: --seed, --hours, --clients (≥ 10), --attacks must be numbers and --start an ISO time\n');
  process.exit(2);
}

const random = new Random(seed * 7919 + 13);
const MINUTE = 60_000;
const minutes = Math.round(hours * 60);

interface Server { ip: string; port: number; protocol: 'tcp' | 'udp' }
interface Client { ip: string; servers: Server[]; ratePerMinute: number; phase: number }

const SERVICE_PORTS: [number, 'tcp' | 'udp'][] = [[443, 'tcp'], [80, 'tcp'], [5432, 'tcp'], [6379, 'tcp'], [8080, 'tcp'], [53, 'udp'], [9092, 'tcp'], [22, 'tcp']];
const servers: Server[] = Array.from({ length: 40 }, (_, i) => {
  const [port, protocol] = random.pick(SERVICE_PORTS);
  return { ip: `10.2.0.${i + 1}`, port, protocol };
});
const clients: Client[] = Array.from({ length: clientCount }, (_, i) => {
  const usual = new Set<Server>();
  const n = random.int(2, 5);
  while (usual.size < n) usual.add(random.pick(servers));
  // Heavy-tailed activity: most clients are quiet, a few are busy.
  return { ip: `10.1.${Math.floor(i / 254) % 256}.${(i % 254) + 1}`, servers: [...usual], ratePerMinute: 0.2 + 3 * random.next() ** 3, phase: random.next() * 2 * Math.PI };
});
/** A backup client streaming to one server all day: heavy but steady. */
const backup = { client: clients[0]!, server: servers[1]! };
/** Clients that run an hourly batch job: 30–60 connections to their first server in one minute. */
const batch = clients.filter(() => random.chance(0.03));

type Row = [timeMs: number, src: string, dst: string, dstPort: number, protocol: string, bytesOut: number, bytesIn: number, label: string];

interface Attack { name: string; kind: 'flood' | 'scan' | 'sweep' | 'ddos'; startMinute: number; minutes: number; src: string; target: Server; intensity: number }
const attacks: Attack[] = [];
const KINDS = ['flood', 'scan', 'sweep', 'ddos'] as const;
for (let i = 0; i < attackCount; i++) {
  const kind = KINDS[i % KINDS.length]!;
  // Spread over the stream after a first tenth (a detector needs some history), never overlapping.
  const slot = Math.floor((minutes * 0.9) / attackCount);
  const startMinute = Math.floor(minutes * 0.1) + i * slot + random.int(0, Math.max(0, slot - 15));
  const insider = random.chance(0.5);
  attacks.push({
    name: `${kind}-${i + 1}`, kind, startMinute, minutes: Math.round(2 * Math.exp(random.next() * Math.log(45))),
    src: insider ? random.pick(clients.slice(1)).ip : `172.16.${random.int(0, 255)}.${random.int(1, 254)}`,
    target: random.pick(servers), intensity: random.jitter(0.5),
  });
}

const rows: Row[] = [];
function emitMinute(minute: number): void {
  const base = startMs + minute * MINUTE;
  const at = () => base + Math.floor(random.next() * MINUTE);
  const hourOfDay = ((minute / 60) % 24) / 24;
  for (const c of clients) {
    const daily = 0.35 + 0.65 * (0.5 + 0.5 * Math.sin(2 * Math.PI * hourOfDay + c.phase));
    let n = poisson(c.ratePerMinute * daily);
    while (n-- > 0) {
      const s = random.pick(c.servers);
      rows.push([at(), c.ip, s.ip, s.port, s.protocol, random.int(200, 4000), random.int(500, 40000), 'benign']);
    }
    // Churn: a first contact of some other server now and then.
    if (random.chance(0.004)) {
      const s = random.pick(servers);
      rows.push([at(), c.ip, s.ip, s.port, s.protocol, random.int(200, 4000), random.int(500, 40000), 'benign']);
    }
  }
  for (let i = 0; i < 4; i++) rows.push([at(), backup.client.ip, backup.server.ip, 873, 'tcp', random.int(5e6, 2e7), random.int(1000, 5000), 'benign']);
  if (minute % 60 === 17) {
    for (const c of batch) for (let i = random.int(30, 60); i > 0; i--) rows.push([at(), c.ip, c.servers[0]!.ip, c.servers[0]!.port, c.servers[0]!.protocol, random.int(200, 2000), random.int(500, 5000), 'benign']);
  }
  for (const a of attacks) {
    if (minute < a.startMinute || minute >= a.startMinute + a.minutes) continue;
    const k = a.intensity;
    if (a.kind === 'flood') {
      for (let i = Math.round(120 * k); i > 0; i--) rows.push([at(), a.src, a.target.ip, a.target.port, a.target.protocol, random.int(40, 400), 0, a.name]);
    } else if (a.kind === 'scan') {
      for (let i = Math.round(250 * k); i > 0; i--) rows.push([at(), a.src, a.target.ip, random.int(1, 65535), 'tcp', 60, 0, a.name]);
    } else if (a.kind === 'sweep') {
      for (let i = Math.round(150 * k); i > 0; i--) rows.push([at(), a.src, `10.3.${random.int(0, 15)}.${random.int(1, 254)}`, 445, 'tcp', 60, 0, a.name]);
    } else {
      for (let i = Math.round(200 * k); i > 0; i--) rows.push([at(), `203.0.${random.int(0, 63)}.${random.int(1, 254)}`, a.target.ip, a.target.port, a.target.protocol, random.int(40, 400), 0, a.name]);
    }
  }
}

function poisson(mean: number): number {
  // Knuth's method: the means here are small.
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = random.next(); p > limit; p *= random.next()) k++;
  return k;
}

const out = values.out!;
mkdirSync(out, { recursive: true });
const path = join(out, values.gzip ? 'flows.csv.gz' : 'flows.csv');
const file = createWriteStream(path);
let stream: WriteStream | Gzip = file;
if (values.gzip) {
  const gzip = createGzip({ level: 6 });
  gzip.pipe(file);
  stream = gzip;
}
stream.write('time,src_ip,dst_ip,src_port,dst_port,protocol,bytes_out,bytes_in,label\n');
let written = 0;
let attackRows = 0;
for (let minute = 0; minute < minutes; minute++) {
  emitMinute(minute);
  rows.sort((a, b) => a[0] - b[0]);
  let chunk = '';
  for (const r of rows) {
    chunk += `${(r[0] / 1000).toFixed(0)},${r[1]},${r[2]},${random.int(32768, 60999)},${r[3]},${r[4]},${r[5]},${r[6]},${r[7]}\n`;
    if (r[7] !== 'benign') attackRows++;
  }
  written += rows.length;
  rows.length = 0;
  if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
}
await new Promise<void>((resolve) => stream.end(resolve));
if (values.gzip) await new Promise<void>((resolve) => (file.closed ? resolve() : file.once('close', () => resolve())));

const CATEGORY = { flood: ['impact', 'T1498'], scan: ['discovery', 'T1046'], sweep: ['discovery', 'T1018'], ddos: ['impact', 'T1498'] } as const;
const labels = attacks.filter((a) => a.kind !== 'ddos').map((a) => JSON.stringify({
  scenario: a.name, category: CATEGORY[a.kind][0], technique: CATEGORY[a.kind][1], cluster: '', namespace: '', workload: a.src,
  start: new Date(startMs + a.startMinute * MINUTE).toISOString(), end: new Date(startMs + (a.startMinute + a.minutes) * MINUTE).toISOString(),
  description: `${a.kind} from ${a.src}${a.kind === 'sweep' ? '' : ` to ${a.target.ip}`}`,
}));
writeFileSync(join(out, 'labels.jsonl'), labels.join('\n') + (labels.length > 0 ? '\n' : ''));
process.stderr.write(`edge-stream: ${written.toLocaleString('en-US')} rows (${attackRows.toLocaleString('en-US')} attack rows, ${attacks.length} attacks) in ${path}\n`);
