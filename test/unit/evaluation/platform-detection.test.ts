/**
 * Detection quality on the platform world (datasets/generator, `--world platform`): three days of
 * a three-cluster AI platform with its benign traps (DaemonSets and operators on the API server
 * from the first minute, ML SaaS, backups, rollouts, release days, cross-cluster CI) and all 16
 * attack episodes, slow ones included. The seed is one the detectors were not tuned on (101
 * was; 202 and 303 checked it). The targets are the platform issue's: ≥ 90 % of the episodes,
 * ≤ 0.03 false alerts per 100 workload-hours, bursts within two windows.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';

const SEED = 4242;
/** Episodes that accumulate evidence over hours by design (README, Evaluation). */
const LONG_HORIZON = new Set(['beaconing', 'dns-tunnel', 'slow-exfiltration']);

interface Evaluation {
  scenarios: { scenario: string; detected: boolean; timeToDetectSeconds?: number }[];
  falseAlertsPer100WorkloadHours: number;
  workloadHours: number;
}

describe('detection on the platform world (unseen seed)', () => {
  it('detects ≥ 90 % of the episodes, bursts within two windows, with ≤ 0.03 false alerts per 100 workload-hours and a small alert stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), `flowhound-platform-${SEED}-`));
    execFileSync(process.execPath, ['datasets/generator/main.ts', '--world', 'platform', '--seed', String(SEED), '--hours', '72', '--out', dir], { stdio: 'ignore' });
    const files = ['train-eu.calico-flows', 'train-eu.calico-dns', 'infer-eu.calico-flows', 'infer-eu.calico-dns', 'dev-us.hubble-flows'].map((f) => `${join(dir, f)}.jsonl@${f.split('.')[0]}`);
    const json = join(dir, 'evaluation.json');
    const alerts = join(dir, 'alerts.jsonl');
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['evaluate', '--labels', join(dir, 'labels.jsonl'), ...files, '--json', json, '--alerts-out', alerts, '--dead-letter', join(dir, 'dl.jsonl')])).toBe(0);
    } finally {
      write.mockRestore();
    }
    const evaluation = JSON.parse(readFileSync(json, 'utf8')) as Evaluation;
    expect(evaluation.scenarios).toHaveLength(16);
    const missed = evaluation.scenarios.filter((s) => !s.detected).map((s) => s.scenario);
    expect(missed.length, `missed: ${missed.join(', ')}`).toBeLessThanOrEqual(Math.floor(0.1 * 16));
    const slowBursts = evaluation.scenarios.filter((s) => s.detected && !LONG_HORIZON.has(s.scenario) && s.timeToDetectSeconds! > 600).map((s) => `${s.scenario} ${s.timeToDetectSeconds} s`);
    expect(slowBursts).toEqual([]);
    expect(evaluation.workloadHours).toBeGreaterThan(7_000);
    expect(evaluation.falseAlertsPer100WorkloadHours).toBeLessThanOrEqual(0.03);
    // What Alertmanager would get: every emission (new, escalated, re-opened, resolved) of every alert.
    const emissions = readFileSync(alerts, 'utf8').trimEnd().split('\n');
    const distinct = new Set(emissions.map((line) => (JSON.parse(line) as { id: string }).id)).size;
    expect(emissions.length).toBeLessThanOrEqual(4 * distinct);
    expect(distinct).toBeLessThanOrEqual(40);
  }, 240_000);
});
