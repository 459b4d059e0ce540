import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlertsFile } from '../../../src/alerts/alerts-file.ts';
import type { Alert } from '../../../src/model/alert.ts';

const alert: Alert = {
  id: 'abc-1', fingerprint: 'abc', detector: 'dns-tunnel', category: 'command-and-control', technique: 'T1071.004', severity: 'critical', score: 0.99,
  workload: { cluster: 'prod-eu', namespace: 'data', name: 'minio', role: 'data' }, peer: 'exfil-tunnel.net',
  startsAt: '2026-11-01T10:00:00.000Z', endsAt: '2026-11-01T10:05:00.000Z', status: 'firing', count: 1, summary: 'tunnel', evidence: {},
};

const tempFile = () => join(mkdtempSync(join(tmpdir(), 'flowhound-alerts-')), 'alerts.jsonl');
const ids = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as Alert).id);

/** One "run" of a pipeline: opens the file, writes its alerts, closes it. */
async function session(path: string, alertIds: string[], options?: { append: boolean }): Promise<void> {
  const file = options === undefined ? new AlertsFile(path) : new AlertsFile(path, options);
  await file.write(alertIds.map((id) => ({ ...alert, id })));
  await file.close();
}

describe('the alerts file', () => {
  it('keeps the alerts of earlier runs by default (a restart of `flowhound run` must not wipe the archive)', async () => {
    const path = tempFile();
    await session(path, ['first-1', 'first-2']);
    await session(path, ['second-1']);
    expect(ids(path)).toEqual(['first-1', 'first-2', 'second-1']);
  });

  it('appends with { append: true } and creates the file when it is missing', async () => {
    const path = tempFile();
    await session(path, ['a'], { append: true });
    await session(path, ['b'], { append: true });
    expect(ids(path)).toEqual(['a', 'b']);
  });

  it('starts afresh with { append: false } (`--alerts-out`)', async () => {
    const path = tempFile();
    writeFileSync(path, JSON.stringify({ ...alert, id: 'stale' }) + '\n');
    await session(path, ['fresh'], { append: false });
    expect(ids(path)).toEqual(['fresh']);
  });

  it('writes one JSON line per alert emission, updates sharing id and fingerprint', async () => {
    const path = tempFile();
    const file = new AlertsFile(path);
    await file.write([alert]);
    await file.write([{ ...alert, count: 2 }, { ...alert, status: 'resolved', count: 2 }]);
    await file.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    const parsed = lines.slice(0, -1).map((line) => JSON.parse(line) as Alert);
    expect(parsed.map((a) => [a.id, a.fingerprint, a.status, a.count])).toEqual([
      ['abc-1', 'abc', 'firing', 1], ['abc-1', 'abc', 'firing', 2], ['abc-1', 'abc', 'resolved', 2],
    ]);
  });
});
