import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTelemetry, type Telemetry } from '../../../src/telemetry/otel.ts';
import { Probes } from '../../../src/telemetry/probes.ts';

describe('the probes', () => {
  it('are not ready before the pipeline is watched, then follow its ready()', () => {
    const probes = new Probes();
    expect(probes.readiness()).toEqual({ ok: false, reason: 'starting: the pipeline is not built yet' });
    let ready = false;
    probes.watch(() => ready);
    expect(probes.readiness().ok).toBe(false);
    expect(probes.readiness().reason).toMatch(/^not ready/);
    ready = true;
    expect(probes.readiness()).toEqual({ ok: true, reason: 'ready' });
    expect(probes.liveness()).toEqual({ ok: true, reason: 'ok' });
  });

  it('stop being ready, but stay live, once a stop begins', () => {
    const probes = new Probes();
    probes.watch(() => true);
    probes.stopping('SIGTERM received');
    expect(probes.readiness()).toEqual({ ok: false, reason: 'stopping: SIGTERM received' });
    expect(probes.liveness().ok).toBe(true);
  });

  it('fail liveness and readiness once the pipeline failed, keeping the first reason', () => {
    const probes = new Probes();
    probes.watch(() => true);
    probes.fail('broker unreachable');
    probes.fail('a later consequence');
    expect(probes.liveness()).toEqual({ ok: false, reason: 'pipeline failed: broker unreachable' });
    expect(probes.readiness()).toEqual({ ok: false, reason: 'pipeline failed: broker unreachable' });
  });

  it('are not ready when the readiness check throws', () => {
    const probes = new Probes();
    probes.watch(() => { throw new Error('no state'); });
    expect(probes.readiness()).toEqual({ ok: false, reason: 'readiness check failed: no state' });
  });
});

describe('the metrics server', () => {
  let telemetry: Telemetry;
  const probes = new Probes();
  let ready = false;
  const get = (path: string, init?: RequestInit) => fetch(telemetry.baseUrl + path, init);

  beforeAll(async () => {
    telemetry = await startTelemetry({ host: '127.0.0.1', port: 0 });
    telemetry.meter.createCounter('flowhound_probe_test_total').add(3);
  });

  afterAll(async () => {
    await telemetry?.shutdown();
  });

  it('binds a free port for port 0 and serves Prometheus text at /metrics', async () => {
    expect(telemetry.url).toBe(`${telemetry.baseUrl}/metrics`);
    expect(new URL(telemetry.baseUrl).port).not.toBe('0');
    const response = await get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toMatch(/^flowhound_probe_test_total(\{[^}]*\})? 3$/m);
  });

  it('answers 404 for the probe paths until it is given the probes', async () => {
    expect((await get('/healthz')).status).toBe(404);
    telemetry.serveProbes(probes);
    probes.watch(() => ready);
  });

  it('serves /healthz and /readyz on the same port as /metrics, with plain-text reasons', async () => {
    const live = await get('/healthz');
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(live.headers.get('cache-control')).toBe('no-store');
    expect(await live.text()).toBe('ok\n');

    const notReady = await get('/readyz');
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toBe('not ready: the sources are not consuming yet\n');
    ready = true;
    const isReady = await get('/readyz?verbose=1');
    expect(isReady.status).toBe(200);
    expect(await isReady.text()).toBe('ready\n');
    // Scrapes still work beside the probes.
    expect((await get('/metrics')).status).toBe(200);
  });

  it('answers HEAD without a body, refuses other methods and 404s unknown paths', async () => {
    const head = await get('/readyz', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await get('/healthz', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await get('/')).status).toBe(404);
    expect((await get('/metrics/extra')).status).toBe(404);
  });

  it('reports 503 on /readyz from the first signal and on /healthz after a failure', async () => {
    probes.stopping('SIGTERM received');
    const stopping = await get('/readyz');
    expect([stopping.status, await stopping.text()]).toEqual([503, 'stopping: SIGTERM received\n']);
    expect((await get('/healthz')).status).toBe(200);
    probes.fail('consumer crashed');
    const failed = await get('/healthz');
    expect([failed.status, await failed.text()]).toEqual([503, 'pipeline failed: consumer crashed\n']);
  });

  it('closes promptly even with a keep-alive connection open', async () => {
    const other = await startTelemetry({ host: '127.0.0.1', port: 0 });
    // fetch keeps the connection alive by default.
    await (await fetch(other.url)).text();
    const started = Date.now();
    await other.shutdown();
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(fetch(other.url)).rejects.toThrow();
  });
});
