import { describe, expect, it } from 'vitest';
import { BulkPulls, STAGING } from '../../../src/baseline/bulk-pulls.ts';
import { updateBaseline } from '../../../src/baseline/workload-baseline.ts';
import { dataStaging } from '../../../src/detectors/data-staging.ts';
import { newExternalUpload } from '../../../src/detectors/new-external-upload.ts';
import { edge, keyOf, learned, MIN5, workload } from './factories.ts';

const MB = 1_000_000;
const trainer = workload('llm-finetune', 'training', 'prod', 'train-eu', 'ml-train');
const minio = workload('minio', 'data', 'prod', 'train-eu', 'data');
const registry = workload('harbor', 'data', 'prod', 'train-eu', 'registry');
const fromMinio = (bytesIn: number) => ({ peer: keyOf(minio), peerWorkload: minio, port: 9000, bytesIn, bytesOut: 20_000 });
const fromRegistry = (bytesIn: number) => ({ peer: keyOf(registry), peerWorkload: registry, port: 443, bytesIn, bytesOut: 20_000 });
/** A day and an hour of 5-minute windows: enough history for a workload's own pulls to be its norm. */
const DAY = 300;
/** A trainer that reads 150 MB of training data from minio every window and never touches the registry. */
const trainerLife = (win: Parameters<typeof edge>[0]) => edge(win, fromMinio(150 * MB));

describe('data-staging', () => {
  it('flags a bulk pull from a source the workload never used, far above its norm', () => {
    const ctx = learned(trainer, DAY, trainerLife);
    const win = ctx.next();
    edge(win, fromRegistry(4_000 * MB));
    expect(dataStaging.evaluate(win, ctx, dataStaging.defaults)).toMatchObject([{
      category: 'collection', technique: 'T1530', severity: 'critical', peer: keyOf(registry),
      evidence: { bytesIn: 4_000 * MB, knownSource: false },
    }]);
    // Its norm: the 150 MB windows, barely decayed over the few hours since.
    expect(dataStaging.evaluate(win, ctx, dataStaging.defaults)[0]!.evidence.baselineLargestPull).toBeCloseTo(150 * MB, -6);
  });

  it('judges every bulk pull of the window: a pull from a new source beside bigger usual shard reads', () => {
    // A pre-training job reading 3 GB of shards a window: the model store pull is not the window's largest.
    const heavy = learned(trainer, DAY, (win) => edge(win, fromMinio(3_000 * MB)));
    const win = heavy.next();
    edge(win, fromMinio(3_100 * MB));
    edge(win, fromRegistry(1_300 * MB));
    expect(dataStaging.evaluate(win, heavy, dataStaging.defaults)).toMatchObject([{ peer: keyOf(registry), evidence: { knownSource: false, bytesIn: 1_300 * MB } }]);
    // And the exfiltration that follows links to it, though the usual shard read was bigger.
    const pulls = heavy.baseline.pulls;
    pulls.update(win, (edgeKey) => heavy.baseline.peers.has(edgeKey));
    expect(pulls.stagedBefore(win.start + 45 * 60_000)).toMatchObject({ from: keyOf(registry), bytes: 1_300 * MB });
  });

  it('needs both the absolute floor and the factor over the norm', () => {
    const ctx = learned(trainer, DAY, trainerLife);
    const below = ctx.next();
    edge(below, fromRegistry(dataStaging.defaults.min_bytes - 1));
    expect(dataStaging.evaluate(below, ctx, dataStaging.defaults)).toEqual([]);
    // 150 MB norm × 10 = 1.5 GB: just under is its habit grown, just over is staging.
    const under = ctx.next();
    edge(under, fromMinio(1_499 * MB));
    expect(dataStaging.evaluate(under, ctx, dataStaging.defaults)).toEqual([]);
    const over = ctx.next();
    edge(over, fromMinio(1_501 * MB));
    expect(dataStaging.evaluate(over, ctx, dataStaging.defaults)).toMatchObject([{ severity: 'warning', evidence: { knownSource: true } }]);
  });

  it('is quiet for a source its role commonly pulls from (weights at every rollout), and before anything is learned', () => {
    const infer = workload('llm-infer', 'inference', 'prod', 'infer-eu', 'serve');
    const others = [1, 2, 3].map((i) => workload(`infer-${i}`, 'inference', 'prod', 'infer-eu', 'serve'));
    const ctx = learned(infer, DAY, (win, i) => { if (win.key !== keyOf(infer) && i % 50 === 0) edge(win, fromRegistry(2_000 * MB)); }, { others });
    const win = ctx.next();
    edge(win, fromRegistry(3_000 * MB));
    expect(dataStaging.evaluate(win, ctx, dataStaging.defaults)).toEqual([]);
    const young = learned(trainer, 1, () => {}, { learned: false, roleLearned: false });
    const w2 = young.next();
    edge(w2, fromRegistry(4_000 * MB));
    expect(dataStaging.evaluate(w2, young, dataStaging.defaults)).toEqual([]);
  });

  it('judges a workload with less than a day of history against its role, and nothing before the role has a day', () => {
    const newJob = workload('ft-sweep-a1', 'training', 'prod', 'train-eu', 'ml-train');
    const sweeps = [1, 2].map((i) => workload(`ft-sweep-${i}`, 'training', 'prod', 'train-eu', 'ml-train'));
    // The role has a day: two other sweep jobs pull their base model from the registry; the new job is an hour old.
    const roleDay = learned(newJob, DAY, (win, i) => { if (win.key !== keyOf(newJob) && i === 10) edge(win, fromRegistry(2_000 * MB)); }, { others: sweeps });
    roleDay.baseline.firstSeen = roleDay.next().start - 3_600_000;
    const pull = roleDay.next();
    edge(pull, fromRegistry(2_300 * MB));
    expect(dataStaging.evaluate(pull, roleDay, dataStaging.defaults)).toEqual([]);
    // From minio, which no other training workload pulls from here: staging.
    const other = roleDay.next();
    edge(other, fromMinio(2_300 * MB));
    expect(dataStaging.evaluate(other, roleDay, dataStaging.defaults)).toHaveLength(1);
    // The same pull on the platform's first day: nothing is judged yet.
    const firstDay = learned(newJob, 100, () => {}, { others: sweeps });
    const early = firstDay.next();
    edge(early, fromMinio(2_300 * MB));
    expect(dataStaging.evaluate(early, firstDay, dataStaging.defaults)).toEqual([]);
  });

  it('links the exfiltration that follows within a day, and not one after it', () => {
    const ctx = learned(trainer, DAY, trainerLife);
    const pull = ctx.next();
    edge(pull, fromRegistry(4_000 * MB));
    updateBaseline(ctx.baseline, pull);
    const upload = { peer: '203.0.113.50', peerKind: 'public' as const, port: 443, bytesOut: 600 * MB, bytesIn: 1 * MB };
    const soon = { ...pull, start: pull.start + 10 * MIN5, end: pull.end + 10 * MIN5, edges: new Map() };
    edge(soon, upload);
    expect(newExternalUpload.evaluate(soon, ctx, newExternalUpload.defaults)).toMatchObject([{
      severity: 'critical', evidence: { stagedBefore: { source: keyOf(registry), bytesIn: 4_000 * MB, minutesBefore: 50 } },
    }]);
    const late = { ...soon, start: pull.start + STAGING.linkMs + MIN5, end: pull.end + STAGING.linkMs + MIN5 };
    expect(newExternalUpload.evaluate(late, ctx, newExternalUpload.defaults)[0]!.evidence).not.toHaveProperty('stagedBefore');
  });

  it('marks a bulk pull from a never-used source as staged even below 10× the norm, not one from a known source', () => {
    const pulls = new BulkPulls();
    const ctx = learned(trainer, 1, () => {});
    const shards = ctx.next();
    edge(shards, fromMinio(1_500 * MB));
    pulls.update(shards, () => false);
    const again = { ...shards, start: shards.start + MIN5, end: shards.end + MIN5 };
    pulls.update(again, () => true);
    expect(pulls.staged).toMatchObject({ at: shards.start });
    const weights = { ...ctx.next(), start: shards.start + 2 * MIN5, end: shards.end + 2 * MIN5 };
    edge(weights, fromRegistry(2_400 * MB));
    pulls.update(weights, (edgeKey) => edgeKey.startsWith(keyOf(minio)));
    expect(pulls.staged).toMatchObject({ bytes: 2_400 * MB, from: keyOf(registry) });
  });

  it('keeps a norm that decays with a week’s half-life and survives a snapshot', () => {
    const pulls = new BulkPulls();
    const ctx = learned(trainer, 1, () => {});
    const win = ctx.next();
    edge(win, fromMinio(800 * MB));
    pulls.update(win, () => false);
    expect(pulls.normAsOf(win.start)).toBe(800 * MB);
    expect(pulls.normAsOf(win.start + STAGING.halfLifeMs)).toBeCloseTo(400 * MB, -3);
    expect(pulls.staged).toMatchObject({ bytes: 800 * MB, norm: 0 });
    expect(BulkPulls.restore(JSON.parse(JSON.stringify(pulls.snapshot())))).toEqual(pulls);
  });
});
