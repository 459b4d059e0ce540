/**
 * The Faro sink against a stand-in for Grafana Alloy's faro.receiver (Alloy is not packaged
 * for this machine): it checks the API key, the payload shape, and plays rate limiting.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../../src/model/alert.ts';
import { FaroSink } from '../../../src/sinks/faro.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';

interface Received { headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }

const alert: Alert = {
  id: 'abc-1', fingerprint: 'abc', detector: 'dns-tunnel', category: 'command-and-control', technique: 'T1071.004', severity: 'critical', score: 0.99,
  workload: { cluster: 'prod-eu', namespace: 'data', name: 'minio', role: 'data' }, peer: 'exfil-tunnel.net',
  startsAt: '2026-11-01T10:00:00.000Z', endsAt: '2026-11-01T10:05:00.000Z', status: 'firing', count: 1, summary: 'tunnel', evidence: {},
};

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

/** A faro.receiver stand-in: 401 without the key, 429 for the first `limited` posts. */
async function receiver(key: string, limited = 0): Promise<{ url: string; received: Received[]; rejected: () => number }> {
  const received: Received[] = [];
  let rejected = 0;
  let posts = 0;
  server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => { text += chunk; });
    request.on('end', () => {
      posts++;
      if (request.headers['x-api-key'] !== key) {
        rejected++;
        response.writeHead(401).end();
        return;
      }
      if (posts <= limited) {
        response.writeHead(429, { 'retry-after': '1' }).end();
        return;
      }
      received.push({ headers: request.headers, body: JSON.parse(text) });
      response.writeHead(202).end('{}');
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server!.address() as { port: number }).port}/collect`, received, rejected: () => rejected };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('FaroSink', () => {
  it('posts alerts as Faro events with meta, with the API key', async () => {
    const alloy = await receiver('secret');
    const sink = new FaroSink('faro', { url: alloy.url, apiKey: 'secret', maxBuffered: 100, measureIntervalSeconds: 0, logger: silentLogger });
    await sink.write([alert]);
    await until(() => alloy.received.length > 0);
    await sink.close();
    const body = alloy.received[0]!.body as { meta: { app: { name: string }; sdk: unknown }; events: { name: string; domain: string; attributes: Record<string, string>; timestamp: string }[] };
    expect(body.meta.app.name).toBe('flowhound');
    expect(body.meta.sdk).toBeDefined();
    expect(body.events[0]).toMatchObject({ name: 'flowhound.alert', domain: 'flowhound', attributes: { detector: 'dns-tunnel', severity: 'critical', workload: 'minio', technique: 'T1071.004', status: 'firing' } });
    expect(Date.parse(body.events[0]!.timestamp)).not.toBeNaN();
    expect(alloy.received[0]!.headers['content-type']).toBe('application/json');
    expect(sink.stats).toMatchObject({ delivered: 1, failed: 0, dropped: 0 });
  });

  it('sends pipeline measurements', async () => {
    const alloy = await receiver('k');
    const sink = new FaroSink('faro', { url: alloy.url, apiKey: 'k', maxBuffered: 100, measureIntervalSeconds: 1, logger: silentLogger, measure: () => ({ records_per_second: 42 }) });
    await until(() => alloy.received.some((r) => Array.isArray(r.body.measurements)));
    await sink.close();
    const withMeasurements = alloy.received.find((r) => Array.isArray(r.body.measurements))!;
    expect((withMeasurements.body.measurements as { type: string; values: Record<string, number> }[])[0]).toMatchObject({ type: 'flowhound_pipeline', values: { records_per_second: 42 } });
  });

  it('keeps events through rate limiting and delivers them after Retry-After, counting the failures', async () => {
    const alloy = await receiver('k', 1);
    const sink = new FaroSink('faro', { url: alloy.url, apiKey: 'k', maxBuffered: 100, measureIntervalSeconds: 0, logger: silentLogger });
    await sink.write([alert]);
    await until(() => alloy.received.length > 0);
    await sink.close();
    expect(sink.stats.failed).toBe(1);
    expect(sink.stats.delivered).toBe(1);
  }, 15_000); // a 1 s Retry-After plus Faro's batching: more than vitest's 5 s default on a loaded machine

  it('counts what a wrong key loses instead of hiding it', async () => {
    const alloy = await receiver('right');
    const sink = new FaroSink('faro', { url: alloy.url, apiKey: 'wrong', maxBuffered: 1, measureIntervalSeconds: 0, logger: silentLogger });
    await sink.write([alert, { ...alert, id: 'abc-2' }]);
    await until(() => alloy.rejected() > 0);
    await sink.close();
    expect(sink.stats.delivered).toBe(0);
    expect(sink.stats.dropped + sink.stats.buffered).toBeGreaterThan(0);
  });
});
