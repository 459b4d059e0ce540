/**
 * Delivery behaviour of the Alertmanager sink against a scripted stand-in (the real
 * Alertmanager is exercised in test/integration/end-to-end.test.ts): HA fan-out, buffering
 * while one member is down, bounded buffers, and the v2 payload.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { validatePipeline } from '../../../src/config/load-pipeline.ts';
import type { Alert } from '../../../src/model/alert.ts';
import { alertName, AlertmanagerSink, type PostableAlert } from '../../../src/sinks/alertmanager.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';

const alert: Alert = {
  id: 'f00-1', fingerprint: 'f00', detector: 'egress-spike', category: 'exfiltration', technique: 'T1567', severity: 'critical', score: 0.9,
  workload: { cluster: 'prod-eu', namespace: 'ml-train', name: 'llm-finetune', role: 'training' }, peer: 'storage.googleapis.com',
  startsAt: '2026-11-01T10:00:00.000Z', endsAt: '2026-11-01T10:05:00.000Z', status: 'firing', count: 1, summary: 'sent 3 GB', evidence: { externalBytesOut: 3e9 },
};

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function alertmanager(state: { up: boolean }): Promise<{ url: string; posts: PostableAlert[][] }> {
  const posts: PostableAlert[][] = [];
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => { text += chunk; });
    request.on('end', () => {
      if (!state.up || request.url !== '/api/v2/alerts' || request.method !== 'POST') {
        response.writeHead(503).end('down');
        return;
      }
      posts.push(JSON.parse(text));
      response.writeHead(200).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, posts };
}

function sink(urls: string[], maxBuffered = 100, resendSeconds = 60): AlertmanagerSink {
  const config = validatePipeline({ name: 't', sources: { f: { type: 'file', paths: ['-'] } }, sinks: { am: { type: 'alertmanager', urls, max_buffered: maxBuffered, resend_interval_seconds: resendSeconds } } }, 't');
  const am = config.sinks.am!;
  if (am.type !== 'alertmanager') throw new Error('unreachable');
  return new AlertmanagerSink('am', am, silentLogger);
}

describe('AlertmanagerSink', () => {
  it('posts the v2 payload to every Alertmanager of an HA pair', async () => {
    const [a, b] = [await alertmanager({ up: true }), await alertmanager({ up: true })];
    const s = sink([a.url, b.url]);
    await s.write([alert]);
    await s.close();
    for (const am of [a, b]) {
      expect(am.posts).toHaveLength(1);
      const [posted] = am.posts[0]!;
      expect(posted!.labels).toMatchObject({ alertname: 'FlowhoundEgressSpike', severity: 'critical', category: 'exfiltration', technique: 'T1567', cluster: 'prod-eu', namespace: 'ml-train', workload: 'llm-finetune', detector: 'egress-spike' });
      expect(posted!.annotations.description).toContain('externalBytesOut: 3000000000');
      expect(posted!.startsAt).toBe(alert.startsAt);
      expect(Date.parse(posted!.endsAt)).toBeGreaterThan(Date.now()); // firing: endsAt ahead of now
    }
    expect(s.stats).toMatchObject({ delivered: 2, failed: 0, dropped: 0 });
  });

  it('buffers while one member is down and delivers when it returns', async () => {
    const state = { up: false };
    const [a, b] = [await alertmanager({ up: true }), await alertmanager(state)];
    const s = sink([a.url, b.url]);
    await s.write([alert]);
    expect(s.stats.buffered).toBe(1);
    state.up = true;
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // past the first backoff
    await s.write([{ ...alert, status: 'resolved' }]);
    await s.close();
    // The retry delivered the held firing alert once b was back; then the resolution followed.
    expect(b.posts.flat().map((p) => (Date.parse(p.endsAt) <= Date.now() ? 'resolved' : 'firing'))).toEqual(['firing', 'resolved']);
    expect(s.stats.failed).toBeGreaterThan(0);
    expect(s.stats.dropped).toBe(0);
  });

  it('delivers an alert that resolved before its firing state went out firing first, then its resolution a resend interval later', async () => {
    const am = await alertmanager({ up: true });
    const s = sink([am.url], 100, 1);
    const states = () => am.posts.map((post) => post.map((p) => (Date.parse(p.endsAt) <= Date.now() ? 'resolved' : 'firing')));
    // Both states in one checkpoint, and a resolution that arrives while the firing state is in flight.
    await s.write([alert, { ...alert, status: 'resolved' }]);
    const second = { ...alert, id: 'f00-2', fingerprint: 'f01' };
    const inFlight = s.write([second]);
    await s.write([{ ...second, status: 'resolved' }]);
    await inFlight;
    expect(states()).toEqual([['firing'], ['firing']]);
    expect(s.stats.buffered).toBe(2);
    // One resend interval after delivery, at the tick after it.
    const started = Date.now();
    while (am.posts.length < 3 && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(states().slice(2).flat()).toEqual(['resolved', 'resolved']);
    expect(s.stats.buffered).toBe(0);
    await s.close();
    expect(s.stats).toMatchObject({ delivered: 4, dropped: 0 });
  });

  it('counts alerts that overflow the bounded buffer', async () => {
    const down = await alertmanager({ up: false });
    const s = sink([down.url], 2);
    await s.write([alert, { ...alert, id: 'f00-2' }, { ...alert, id: 'f00-3' }]);
    await s.close();
    expect(s.stats.dropped).toBe(3); // one overflowed, two still held when it closed
  });

  it('labels the roll-up of an alert storm rollup="true", and only it', async () => {
    const s = sink(['http://127.0.0.1:1']);
    const rollup: Alert = { ...alert, workload: { ...alert.workload, name: '*' }, peer: '*', count: 995, rollup: { heldBack: 995, workloads: 995, alertedIndividually: 5, sample: ['prod-eu/ml-train/a'] } };
    expect(s.toPostable(rollup).labels).toMatchObject({ rollup: 'true', workload: '*', peer: '*' });
    expect(s.toPostable(alert).labels).not.toHaveProperty('rollup');
    await s.close();
  });

  it('names alerts by detector', () => {
    expect(alertName('new-east-west-edge')).toBe('FlowhoundNewEastWestEdge');
  });
});
