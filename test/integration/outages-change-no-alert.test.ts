/**
 * Outages of what flowhound depends on, while a member consumes the labelled sample: the Kafka
 * broker stopped and started again mid-stream, and Alertmanager down for a minute. A broker of
 * its own (this file stops it), real processes throughout.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/model/alert.ts';
import { alertsOf, feed, finish, fingerprints, metric, pipelineFile, repeated, start } from '../harness/durable-run.ts';
import { readTopic } from '../harness/flowhound-member.ts';
import { startKafka, type KafkaBroker } from '../harness/kafka-broker.ts';
import { startService, type Service } from '../harness/service.ts';

describe('outages change no alert', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowhound-outage-'));
  const id = `o${randomUUID().slice(0, 6)}`;
  let broker: KafkaBroker;
  let topics: Record<string, string>;
  let dataEnd: number;
  let reference: Alert[];

  beforeAll(async () => {
    broker = await startKafka();
    ({ topics, dataEnd } = await feed(broker.brokers, id));
    const name = `${id}-ref`;
    const member = await start(pipelineFile(broker.brokers, dir, name, topics, `${name}-alerts`, join(dir, `${name}.jsonl`)));
    await finish(broker.brokers, [member], name, topics, dataEnd);
    reference = alertsOf(await readTopic(broker.brokers, `${name}-alerts`));
    expect(reference.length).toBeGreaterThan(10);
  }, 300_000);

  afterAll(async () => {
    await broker?.stop();
  });

  it('the broker stopped and started again mid-stream: the alerts of an uninterrupted run', async () => {
    const name = `${id}-broker`;
    const member = await start(pipelineFile(broker.brokers, dir, name, topics, `${name}-alerts`, join(dir, `${name}.jsonl`)));
    await new Promise((r) => setTimeout(r, 6_000));
    // Controlled shutdown, ten seconds without a broker, then the same broker again.
    await broker.restart(10_000);
    expect(member.member.running).toBe(true);
    await finish(broker.brokers, [member], name, topics, dataEnd, { boundedExit: true });
    const emitted = alertsOf(await readTopic(broker.brokers, `${name}-alerts`));
    expect(fingerprints(emitted)).toEqual(fingerprints(reference));
    expect(repeated(emitted)).toEqual([]);
  }, 400_000);

  it('Alertmanager down for a minute mid-stream: every alert reaches it once it is back', async () => {
    const config = (amDir: string, port: number) => {
      writeFileSync(join(amDir, 'alertmanager.yml'), 'route: { receiver: none }\nreceivers: [{ name: none }]\n');
      return [`--config.file=${join(amDir, 'alertmanager.yml')}`, `--storage.path=${amDir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='];
    };
    let alertmanager: Service = await startService('prometheus-alertmanager', config, '/-/ready');
    const port = Number(new URL(alertmanager.url).port);
    const name = `${id}-am`;
    const sinks = `  am: { type: alertmanager, urls: [${alertmanager.url}], resend_interval_seconds: 5 }\n`;
    const member = await start(pipelineFile(broker.brokers, dir, name, topics, `${name}-alerts`, join(dir, `${name}.jsonl`), sinks));
    await new Promise((r) => setTimeout(r, 2_000));
    await alertmanager.stop();
    // The stream is processed (every alert raised, most resolved) while Alertmanager is away.
    await new Promise((r) => setTimeout(r, 60_000));
    alertmanager = await startService('prometheus-alertmanager', config, '/-/ready', 30_000, port);
    try {
      const emitted = alertsOf(await readTopic(broker.brokers, `${name}-alerts`));
      const ids = new Set(emitted.map((a) => a.id));
      // The sink keeps the latest state of each alert it could not deliver, and sends it when
      // Alertmanager is back (its backoff between attempts grows to a minute).
      const deadline = Date.now() + 120_000;
      let received = 0;
      for (;;) {
        const text = await fetch(`${alertmanager.url}/metrics`).then((r) => r.text());
        received = text.split('\n').filter((l) => l.startsWith('alertmanager_alerts_received_total')).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
        if (received >= ids.size || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 1_000));
      }
      expect(received).toBeGreaterThanOrEqual(ids.size);
      expect(await metric(member.metrics, 'flowhound_sink_dropped_total')).toBe(0);
      await finish(broker.brokers, [member], name, topics, dataEnd);
      expect(fingerprints(alertsOf(await readTopic(broker.brokers, `${name}-alerts`)))).toEqual(fingerprints(reference));
    } finally {
      await alertmanager.stop();
    }
  }, 400_000);
});
