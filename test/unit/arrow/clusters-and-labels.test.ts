import { createReadStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readArrowBatches } from '../../../src/arrow/arrow-input.ts';
import { ArrowStage } from '../../../src/arrow/arrow-stage.ts';
import { readArrowRecords, type ArrowReadOptions } from '../../../src/arrow/record-reader.ts';
import { datasetInfo, type DatasetInfo } from '../../../src/arrow/record-schema.ts';
import { main } from '../../../src/cli/main.ts';
import { episodeOf, loadLabels, type Label } from '../../../src/evaluation/labels.ts';
import type { DnsRecord } from '../../../src/model/dns-record.ts';
import type { FlowRecord } from '../../../src/model/flow-record.ts';
import type { NormalizedRecord } from '../../../src/model/normalized-record.ts';
import { replayMerged } from '../../../src/pipeline/event-time-merge.ts';
import { Ingest } from '../../../src/pipeline/ingest.ts';
import { MemoryDeadLetter } from '../../../src/sinks/dead-letter-memory.ts';

const sample = (file: string) => new URL(`../../../datasets/sample/${file}`, import.meta.url).pathname;
const CALICO = [sample('calico-flows.jsonl.gz'), sample('calico-dns.jsonl.gz')];
const LABELS = sample('labels.jsonl');

const dir = mkdtempSync(join(tmpdir(), 'flowhound-clusters-'));
const deadLetter = join(dir, 'dead-letter.jsonl');

/** Runs the CLI with stdout and stderr captured. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => { out.push(String(chunk)); return true; });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => { err.push(String(chunk)); return true; });
  try {
    const code = await main([...args, '--dead-letter', deadLetter]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

/** stderr lines that are flowhound's notices and warnings (not progress lines). */
const notices = (stderr: string) => stderr.split('\n').filter((line) => /^(flowhound|convert):/.test(line));

async function collect(path: string, options?: ArrowReadOptions): Promise<NormalizedRecord[]> {
  const out: NormalizedRecord[] = [];
  for await (const batch of readArrowRecords(path, options)) out.push(...batch);
  return out;
}

async function infoOf(path: string): Promise<DatasetInfo> {
  let info: DatasetInfo | undefined;
  for await (const _ of readArrowBatches(path, (schema) => { info = datasetInfo(schema); })) break;
  return info!;
}

/** The first `n` lines of a gzip sample file, written out as plain JSON lines. */
async function slice(path: string, n: number, to: string): Promise<string> {
  const lines: string[] = [];
  for await (const line of createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity })) {
    lines.push(line);
    if (lines.length >= n) break;
  }
  writeFileSync(to, lines.join('\n') + '\n');
  return to;
}

/** The clusters a record's endpoints are in (networks outside every cluster, '', left out). */
const clusterOf = (r: NormalizedRecord) => (r.kind === 'flow' ? [r.src.cluster, r.dst.cluster] : [r.client.cluster, r.server?.cluster ?? '']).filter((c) => c !== '');

describe('replay of an Arrow dataset with --cluster', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives the cluster to the Calico records converted without one: the same alerts as replaying the JSON lines', async () => {
    const arrow = join(dir, 'calico.arrow');
    const converted = await run(['convert', ...CALICO, '--to', arrow]);
    expect(converted.code).toBe(0);
    // convert says, once, that the records have no cluster and how to give one.
    expect(notices(converted.stderr)).toEqual(['convert: 22,016 Calico records have no cluster (give --cluster NAME or FILE@CLUSTER); they are written as "default" and a replay can set it with --cluster']);
    expect(await infoOf(arrow)).toEqual({ clusterFrom: 'default', clusters: [], labelled: false });

    const fromJson = join(dir, 'alerts-json.jsonl');
    const fromArrow = join(dir, 'alerts-arrow.jsonl');
    const fromArrowAt = join(dir, 'alerts-arrow-at.jsonl');
    expect((await run(['replay', ...CALICO, '--cluster', 'prod-eu', '--quiet', '--alerts-out', fromJson])).code).toBe(0);
    const replayed = await run(['replay', arrow, '--cluster', 'prod-eu', '--quiet', '--alerts-out', fromArrow]);
    expect(replayed.code).toBe(0);
    expect(notices(replayed.stderr)).toEqual([]);
    expect((await run(['replay', `${arrow}@prod-eu`, '--quiet', '--alerts-out', fromArrowAt])).code).toBe(0);

    const json = readFileSync(fromJson, 'utf8');
    expect(json.split('\n').length).toBeGreaterThan(20);
    expect(json).toContain('"cluster":"prod-eu"');
    expect(readFileSync(fromArrow, 'utf8')).toBe(json);
    expect(readFileSync(fromArrowAt, 'utf8')).toBe(json);
  }, 60_000);

  it('says why, once, when the dataset was converted with another cluster, and keeps it', async () => {
    const input = await slice(CALICO[0]!, 3_000, join(dir, 'calico-slice.jsonl'));
    const arrow = join(dir, 'train-eu.arrow');
    const converted = await run(['convert', input, '--cluster', 'train-eu', '--to', arrow]);
    expect(notices(converted.stderr)).toEqual([]);
    expect(await infoOf(arrow)).toEqual({ clusterFrom: 'given', clusters: ['train-eu'], labelled: false });
    const alerts = join(dir, 'alerts-train-eu.jsonl');
    const replayed = await run(['replay', arrow, '--cluster', 'prod-eu', '--quiet', '--alerts-out', alerts, '--loop', '2']);
    expect(replayed.code).toBe(0);
    // One line (not one per pass), naming the file and the reason.
    expect(notices(replayed.stderr)).toEqual([`flowhound: ${arrow}: cluster "prod-eu" not applied to 3,000 Calico records: the dataset was converted with cluster "train-eu" (--cluster or FILE@CLUSTER), which its records keep; convert the JSON lines again with --cluster prod-eu to change it`]);
    // The same cluster as it was converted with: nothing to say.
    expect(notices((await run(['replay', arrow, '--cluster', 'train-eu', '--quiet'])).stderr)).toEqual([]);
    // No --cluster: nothing asked for, nothing to say.
    expect(notices((await run(['replay', arrow, '--quiet'])).stderr)).toEqual([]);
  }, 60_000);

  it('says why when the records carry their own cluster (Hubble)', async () => {
    const input = await slice(sample('hubble-flows.jsonl.gz'), 2_000, join(dir, 'hubble-slice.jsonl'));
    const arrow = join(dir, 'hubble.arrow');
    const converted = await run(['convert', input, '--to', arrow]);
    // Hubble records are not Calico's: they have a cluster, convert says nothing.
    expect(notices(converted.stderr)).toEqual([]);
    const replayed = await run(['replay', arrow, '--cluster', 'prod-eu', '--quiet']);
    expect(notices(replayed.stderr)).toEqual([`flowhound: ${arrow}: cluster "prod-eu" not applied: its 2,000 records are Hubble's, which carry their own cluster (node name, cluster_name); --cluster is for records without one (Calico)`]);
    expect(new Set((await collect(arrow, { cluster: 'prod-eu' })).flatMap(clusterOf))).toEqual(new Set(['dev-us']));
  }, 60_000);

  it('in a dataset of Calico and Hubble records, gives the cluster to the Calico ones only, silently', async () => {
    const calico = await slice(CALICO[0]!, 1_000, join(dir, 'mixed-calico.jsonl'));
    const dns = await slice(CALICO[1]!, 200, join(dir, 'mixed-dns.jsonl'));
    const hubble = await slice(sample('hubble-flows.jsonl.gz'), 1_000, join(dir, 'mixed-hubble.jsonl'));
    const arrow = join(dir, 'mixed.arrow');
    const converted = await run(['convert', calico, dns, hubble, '--to', arrow]);
    expect(notices(converted.stderr)).toEqual(['convert: 1,200 Calico records have no cluster (give --cluster NAME or FILE@CLUSTER); they are written as "default" and a replay can set it with --cluster']);
    const said: string[] = [];
    const records = await collect(arrow, { cluster: 'prod-eu', onNotice: (m) => said.push(m) });
    expect(said).toEqual([]);
    const byFormat = (format: string) => new Set(records.filter((r) => r.format === format).flatMap(clusterOf));
    expect(byFormat('calico-flow')).toEqual(new Set(['prod-eu']));
    expect(byFormat('calico-dns')).toEqual(new Set(['prod-eu']));
    expect(byFormat('hubble')).toEqual(new Set(['dev-us']));
    // Without a cluster to give, the placeholder stays.
    expect(new Set((await collect(arrow)).filter((r) => r.format === 'calico-flow').flatMap(clusterOf))).toEqual(new Set(['default']));
  }, 60_000);

  it('convert counts only the Calico records of inputs given no cluster', async () => {
    const calico = await slice(CALICO[0]!, 500, join(dir, 'count-calico.jsonl'));
    const dns = await slice(CALICO[1]!, 100, join(dir, 'count-dns.jsonl'));
    const arrow = join(dir, 'count.arrow');
    const converted = await run(['convert', `${calico}@prod-eu`, dns, '--to', arrow]);
    expect(notices(converted.stderr)).toEqual(['convert: 100 Calico records have no cluster (give --cluster NAME or FILE@CLUSTER); they are written as "default" and a replay can set it with --cluster']);
    expect(await infoOf(arrow)).toEqual({ clusterFrom: 'default', clusters: ['prod-eu'], labelled: false });
    const records = await collect(arrow, { cluster: 'eu-2' });
    expect(new Set(records.filter((r) => r.kind === 'dns').flatMap(clusterOf))).toEqual(new Set(['eu-2']));
    expect(new Set(records.filter((r) => r.kind === 'flow').flatMap(clusterOf))).toEqual(new Set(['prod-eu']));
    // Every input given a cluster: nothing to say.
    expect(notices((await run(['convert', `${calico}@prod-eu`, `${dns}@prod-eu`, '--to', join(dir, 'count-2.arrow')])).stderr)).toEqual([]);
  }, 60_000);

  it('convert says when --labels could not match the records without a cluster', async () => {
    const input = await slice(CALICO[0]!, 500, join(dir, 'labels-calico.jsonl'));
    const converted = await run(['convert', input, '--labels', LABELS, '--to', join(dir, 'labels-no-cluster.arrow')]);
    expect(notices(converted.stderr)).toEqual(['convert: 500 Calico records have no cluster (give --cluster NAME or FILE@CLUSTER); they are written as "default" and a replay can set it with --cluster (but --labels matched them as "default": episodes of "dev-us", "prod-eu" label none of them)']);
  }, 60_000);

  it('in a dataset that does not say how its clusters were set (an older flowhound), gives the cluster to Calico records named "default", and says so once', async () => {
    const input = await slice(CALICO[1]!, 300, join(dir, 'old-dns.jsonl'));
    const arrow = join(dir, 'old.arrow');
    // ArrowStage without `clusters`: no cluster metadata, as files converted before it.
    const stage = new ArrowStage(arrow, { batchSize: 100 });
    const ingest = new Ingest({ deadLetter: new MemoryDeadLetter(), stages: [stage], maxRecordBytes: 1 << 20, maxFutureSkewMs: 1e12, keepOriginals: false });
    await replayMerged(ingest, [{ path: input, format: 'auto', cluster: 'default', source: 'files' }], 100);
    await ingest.close();
    expect(await infoOf(arrow)).toEqual({ clusterFrom: undefined, clusters: [], labelled: false });
    const said: string[] = [];
    const records = await collect(arrow, { cluster: 'prod-eu', onNotice: (m) => said.push(m) });
    expect(records).toHaveLength(300);
    expect(records.every((r) => r.kind === 'dns' && r.client.cluster === 'prod-eu')).toBe(true);
    expect(said).toEqual([`${arrow}: this Arrow dataset does not say how its clusters were set (converted by an older flowhound): cluster "prod-eu" given to its 300 Calico records whose cluster is "default", what convert writes for records without one`]);
  }, 60_000);
});

describe('labels and rows from an Arrow dataset', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a dataset converted with --labels gives every flow its label (benign where no episode), and rows count from 1 in the file', async () => {
    const arrow = join(dir, 'labelled.arrow');
    expect((await run(['convert', ...CALICO, '--cluster', 'prod-eu', '--labels', LABELS, '--to', arrow])).code).toBe(0);
    expect(await infoOf(arrow)).toEqual({ clusterFrom: 'given', clusters: ['prod-eu'], labelled: true });
    const records = await collect(arrow, { rows: true });
    expect(records.map((r) => r.row)).toEqual(records.map((_, i) => i + 1));
    const flows = records.filter((r): r is FlowRecord => r.kind === 'flow');
    const labels = loadLabels(LABELS);
    // Each flow's label is the episode it belongs to, by the one rule.
    for (const flow of flows) expect(flow.label).toBe(episodeOf(flow, labels)?.scenario ?? 'benign');
    const attacks = new Set(flows.map((f) => f.label).filter((l) => l !== 'benign'));
    expect(attacks.size).toBeGreaterThan(3);
    // Rows only when asked for (a replay asks).
    expect((await collect(arrow)).every((r) => r.row === undefined)).toBe(true);

    const scores = join(dir, 'scores.csv');
    const evaluated = await run(['evaluate', '--labels', LABELS, arrow, '--scores-out', scores]);
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(/per-record ranking \(edge-burst score\): ROC-AUC 0\.\d+, average precision 0\.\d+ over [\d,]+ flow records \([\d,]+ attack records, from the records' own labels\)/);
    // --scores-out names each flow by its row in the Arrow file.
    const rows = readFileSync(scores, 'utf8').trim().split('\n').slice(1).map((line) => Number(line.split(',')[0]));
    expect(rows.length).toBeGreaterThan(1_000);
    for (const row of rows.slice(0, 500)) expect(records[row - 1]!.kind).toBe('flow');
  }, 60_000);

  it('an unlabelled dataset leaves label undefined: evaluate falls back to the episodes', async () => {
    const input = await slice(CALICO[0]!, 3_000, join(dir, 'unlabelled.jsonl'));
    const arrow = join(dir, 'unlabelled.arrow');
    expect((await run(['convert', input, '--cluster', 'prod-eu', '--to', arrow])).code).toBe(0);
    expect((await collect(arrow)).every((r) => r.kind !== 'flow' || r.label === undefined)).toBe(true);
    const evaluated = await run(['evaluate', '--labels', LABELS, arrow]);
    expect(evaluated.stdout).toContain('from the labelled episodes)');
  }, 60_000);

  it('converting again keeps the records\' labels', async () => {
    const first = join(dir, 'again-labelled.arrow');
    const input = await slice(CALICO[0]!, 3_000, join(dir, 'again.jsonl'));
    expect((await run(['convert', input, '--cluster', 'prod-eu', '--labels', LABELS, '--to', first])).code).toBe(0);
    const second = join(dir, 'again-2.arrow');
    expect((await run(['convert', first, '--to', second])).code).toBe(0);
    const labelsOf = async (path: string) => (await collect(path)).map((r) => (r.kind === 'flow' ? r.label : 'dns'));
    expect(await labelsOf(second)).toEqual(await labelsOf(first));
  }, 60_000);
});

describe('episodeOf', () => {
  const label: Label = {
    scenario: 'dns-tunnel', category: 'command-and-control', cluster: 'prod-eu', namespace: 'data', workload: 'minio',
    start: '2026-11-01T19:05:00Z', end: '2026-11-01T19:35:00Z', startMs: Date.parse('2026-11-01T19:05:00Z'), endMs: Date.parse('2026-11-01T19:35:00Z'),
  };
  const who = { cluster: 'prod-eu', namespace: 'data', workload: 'minio', labels: {}, kind: 'pod' as const, workloadKind: undefined, pod: undefined, ip: undefined };
  const at = (iso: string) => Date.parse(iso);

  it('serves flows (their source) and DNS records (their client) by the same rule', () => {
    const flow = { src: who, windowStart: at('2026-11-01T19:00:00Z'), windowEnd: at('2026-11-01T19:05:00Z') };
    expect(episodeOf(flow, [label])).toBe(label);
    expect(episodeOf({ ...flow, windowEnd: at('2026-11-01T19:04:59Z') }, [label])).toBeUndefined();
    const dns: Pick<DnsRecord, 'kind' | 'client' | 'windowStart' | 'time'> = { kind: 'dns', client: who, windowStart: at('2026-11-01T19:35:00Z'), time: at('2026-11-01T19:40:00Z') };
    expect(episodeOf(dns, [label])).toBe(label);
    expect(episodeOf({ ...dns, client: { ...who, cluster: 'dev-us' } }, [label])).toBeUndefined();
    expect(episodeOf({ ...dns, client: { ...who, cluster: 'dev-us' } }, [{ ...label, cluster: '' }])).toBeDefined();
    expect(episodeOf({ ...dns, windowStart: at('2026-11-01T19:35:01Z') }, [label])).toBeUndefined();
  });
});
