import { describe, expect, it } from 'vitest';
import { MemoryAlertSink } from '../../../src/alerts/alert-sink.ts';
import { defaultStateBudgetMb } from '../../../src/baseline/state-budget.ts';
import { validatePipeline } from '../../../src/config/load-pipeline.ts';
import type { NormalizedRecord } from '../../../src/model/normalized-record.ts';
import { buildDetection } from '../../../src/pipeline/build-detection.ts';
import { flow, MIN5, pod, T0 } from '../records.ts';

const MB = 1024 * 1024;

function stage(detection: Record<string, unknown>) {
  const config = validatePipeline({ name: 't', sources: { f: { type: 'file', paths: ['-'] } }, detection }, 'test');
  return buildDetection(config.detection, [new MemoryAlertSink()]);
}

describe('detection.max_state_mb', () => {
  it('holds baselines within the byte budget however many workloads appear, evicting the least recently active', async () => {
    const s = stage({ max_state_mb: 8 });
    const steady = pod('prod-eu', 'ml-serve', 'llm-infer');
    const db = pod('prod-eu', 'data', 'postgres');
    // 20,000 invented workloads over 40 windows, each seen once, beside one workload active throughout.
    for (let w = 0; w < 40; w++) {
      const at = T0 + w * MIN5;
      const records: NormalizedRecord[] = [flow(at, steady, db, { dstPort: 5432 })];
      for (let i = 0; i < 500; i++) records.push(flow(at, pod('prod-eu', `ns-${i % 7}`, `fake-${w}-${i}`), db, { dstPort: 5432 }));
      await s.process(records);
    }
    await s.close();
    expect(s.stateBytes).toBeLessThanOrEqual(8 * MB);
    expect(s.stateBytes).toBeGreaterThan(6 * MB); // the budget is used, not left idle
    expect(s.baselines.evictions).toBeGreaterThan(15_000);
    expect(s.baselines.size + s.baselines.evictions).toBe(20_001);
    // The workload active in every window kept its baseline through the flood.
    expect(s.baselines.peek('prod-eu/ml-serve/llm-infer')?.windows).toBe(40);
  });

  it('bounds the windows open at once: a burst of invented workloads in one window is dropped and counted, known workloads are not', async () => {
    const s = stage({ max_state_mb: 8 }); // 10,000 open windows at the least
    const db = pod('prod-eu', 'data', 'postgres');
    const steady = pod('prod-eu', 'ml-serve', 'llm-infer');
    for (let w = 0; w < 30; w++) await s.process([flow(T0 + w * MIN5, steady, db, { dstPort: 5432 })]);
    const burst = T0 + 30 * MIN5;
    await s.process(Array.from({ length: 30_000 }, (_, i) => flow(burst, pod('prod-eu', 'x', `fake-${i}`), db, { dstPort: 5432 })));
    await s.process([flow(burst, steady, db, { dstPort: 5432 })]); // arrives after the burst
    await s.close();
    // The previous window closes once the burst's first record is in: 10,000 fakes get a window,
    // 20,000 do not; llm-infer has a baseline and is counted after the burst.
    expect(s.stats.droppedStateBudget).toBe(20_000);
    expect(s.baselines.peek('prod-eu/ml-serve/llm-infer')?.windows).toBe(31);
  });

  it('counts what a baseline holds, so a budget of N MB holds roughly N MB of baselines', async () => {
    const s = stage({ max_state_mb: 1024 });
    const db = pod('prod-eu', 'data', 'postgres');
    for (let w = 0; w < 3; w++) await s.process(Array.from({ length: 100 }, (_, i) => flow(T0 + w * MIN5, pod('prod-eu', 'ns', `w${i}`), db, { dstPort: 5432 })));
    await s.close();
    const perWorkload = s.stateBytes / s.baselines.size;
    // One peer and eleven sketches (4.4 kB), the seasonal peaks (0.8 kB), the long-horizon
    // memory and the pull norm: ~8.5 kB by the estimate.
    expect(perWorkload).toBeGreaterThan(4_500);
    expect(perWorkload).toBeLessThan(9_500);
  });

  it('defaults to a quarter of the memory limit, at most half the V8 heap, within 64 MB..4 GB', () => {
    const GB = 1024 * MB;
    expect(defaultStateBudgetMb(2 * GB, 4 * GB)).toBe(512);
    expect(defaultStateBudgetMb(24 * GB, 4 * GB)).toBe(2048);
    expect(defaultStateBudgetMb(128 * MB, 4 * GB)).toBe(64);
    expect(defaultStateBudgetMb(256 * GB, 64 * GB)).toBe(4096);
  });
});
