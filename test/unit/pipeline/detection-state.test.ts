import { describe, expect, it } from 'vitest';
import { MemoryAlertSink } from '../../../src/alerts/alert-sink.ts';
import { PeerGroups } from '../../../src/baseline/peer-groups.ts';
import { validatePipeline } from '../../../src/config/load-pipeline.ts';
import type { Alert } from '../../../src/model/alert.ts';
import type { NormalizedRecord } from '../../../src/model/normalized-record.ts';
import { decodeMessage } from '../../../src/parsers/record-decoder.ts';
import { buildDetection } from '../../../src/pipeline/build-detection.ts';
import { latestPerKey, type ChangelogRecord } from '../../../src/pipeline/detection-state.ts';
import { SIDE, type DetectionStage } from '../../../src/pipeline/detection-stage.ts';
import { RepartitionWriter } from '../../../src/state/repartition-writer.ts';
import { Random } from '../../../datasets/generator/random.ts';
import { sampleLinesInEventTime } from '../../harness/sample.ts';

const config = validatePipeline({ name: 't', cluster: 'prod-eu', sources: { f: { type: 'file', paths: ['-'] } } }, 'test');
const records: NormalizedRecord[] = sampleLinesInEventTime().flatMap((line) => {
  const decoded = decodeMessage(line, 'auto', { cluster: 'prod-eu', now: Date.now(), maxFutureSkewMs: 3600_000 }, 1 << 20);
  return decoded.status === 'ok' ? [decoded.record] : [];
});

function stage(sink: MemoryAlertSink, hooks: Parameters<typeof buildDetection>[2] = {}): DetectionStage {
  return buildDetection(config.detection, [sink], hooks);
}

const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const fingerprints = (alerts: Alert[]) => [...new Set(alerts.map((a) => a.fingerprint))].sort();

describe('DetectionState', () => {
  it('a stage restored from its changelog mid-replay raises exactly the alerts of an uninterrupted one', async () => {
    const whole = new MemoryAlertSink();
    const uninterrupted = stage(whole);
    for (let i = 0; i < records.length; i += 500) await uninterrupted.process(records.slice(i, i + 500));
    expect(whole.alerts.length).toBeGreaterThan(10);

    const random = new Random(7);
    const cuts = new Set(Array.from({ length: 4 }, () => Math.floor(random.next() * (records.length / 500)) * 500));
    const changelog: ChangelogRecord[] = [];
    const peers: ChangelogRecord[] = [];
    const emitted: Alert[] = [];
    let sink = new MemoryAlertSink();
    let current = stage(sink, { trackChanges: true });
    for (let i = 0; i < records.length; i += 500) {
      // Checkpoints every chunk (incremental: only what changed), a crash-restart at the cuts.
      await current.process(records.slice(i, i + 500));
      changelog.push(...json(current.state.takeChanges(String(i + 500))));
      peers.push(...json(current.state.peers.takeDirty()));
      if (cuts.has(i)) {
        emitted.push(...sink.alerts);
        sink = new MemoryAlertSink();
        current = stage(sink, { trackChanges: true });
        const restored = current.state.restore(latestPerKey(changelog), Date.now());
        for (const { key, value } of latestPerKey(peers)) current.state.peers.apply(key, value);
        expect(restored.offset).toBe(String(i + 500));
      }
    }
    emitted.push(...sink.alerts);
    expect(emitted).toEqual(whole.alerts);
  });

  it('three tasks, each fed its workloads by the repartition rule, find what one stage finds', async () => {
    const one = new MemoryAlertSink();
    const single = stage(one);
    for (let i = 0; i < records.length; i += 500) await single.process(records.slice(i, i + 500));
    await single.close();

    // The ingest tier's routing (which task gets which side of which record), a chunk at a
    // time, each chunk followed by the lane's progress to every task.
    type Item = { side: number; record: NormalizedRecord } | { progress: number };
    const queues: Item[][] = [[], [], []];
    const writer = new RepartitionWriter({ kafka: undefined as never, topic: 'r', partitions: 3, transactionalIdPrefix: 'x', logger: undefined as never });
    const outputs = (writer as unknown as { lanes: Map<string, { messages: { partition: number; value: string }[] }> }).lanes;
    let newest = 0;
    for (let i = 0; i < records.length; i += 500) {
      const chunk = records.slice(i, i + 500);
      await writer.process(chunk, 'lane');
      for (const message of outputs.get('lane')!.messages) {
        const decoded = JSON.parse(message.value) as { s: number; r: NormalizedRecord };
        expect(decoded.s === SIDE.dnsGlobal ? decoded.r.kind : 'dns').toBe('dns');
        queues[message.partition]!.push({ side: decoded.s, record: decoded.r });
      }
      for (const r of chunk) newest = Math.max(newest, r.kind === 'flow' ? r.windowEnd : r.time);
      for (const q of queues) q.push({ progress: newest });
    }
    // The end of the data: every lane well past it, as the next records would take it.
    for (const q of queues) q.push({ progress: newest + 7_200_000 });
    const peerGroups = new PeerGroups();
    const sinks = [0, 1, 2].map(() => new MemoryAlertSink());
    const tasks: DetectionStage[] = [];
    for (const p of [0, 1, 2]) {
      tasks.push(stage(sinks[p]!, { peerGroups, part: p, mayClose: (bucket) => tasks.every((t, q) => q === p || t.watermark >= bucket) }));
    }
    // Interleaved in uneven slices, as a consumer fetches partitions.
    const random = new Random(3);
    while (queues.some((q) => q.length > 0)) {
      const p = Math.floor(random.next() * 3);
      const slice = queues[p]!.splice(0, 1 + Math.floor(random.next() * 1500));
      let run: { side: number; record: NormalizedRecord }[] = [];
      const flush = async () => {
        if (run.length > 0) await tasks[p]!.process(run.map((r) => r.record), 'lane', undefined, Uint8Array.from(run.map((r) => r.side)));
        run = [];
      };
      for (const item of slice) {
        if ('progress' in item) {
          await flush();
          await tasks[p]!.progress('lane', item.progress);
        } else run.push(item);
      }
      await flush();
      for (let moved = true; moved;) {
        moved = false;
        for (const task of tasks) {
          const before = task.watermark;
          await task.retryClose();
          if (task.watermark !== before) moved = true;
        }
      }
    }
    for (const task of tasks) expect(task.watermark).toBeGreaterThan(newest);
    const partitioned = sinks.flatMap((s) => s.alerts);
    expect(fingerprints(partitioned)).toEqual(fingerprints(one.alerts));
  });
});
