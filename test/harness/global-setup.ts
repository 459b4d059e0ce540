// Brings 'vitest' into the program for the augmentation below even where no test file imports it.
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startKafka, waitForKafka } from './kafka-broker.ts';
import { ensureSystemPackages } from './system-packages.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `host:port` of the test broker: `inject('kafkaBrokers')` in a test file. */
    kafkaBrokers: string;
  }
}

/**
 * The integration project's environment, set up once per run in vitest's main process: the
 * Debian tools (kcat, Prometheus, Alertmanager; installed when missing) and one real Kafka broker
 * that every test file shares (tests use their own topic and group names).
 * FLOWHOUND_KAFKA_BROKERS=host:port reuses a broker that is already running instead.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => process.stderr.write(`[test-env] ${line}\n`);
  ensureSystemPackages(log);
  const existing = process.env.FLOWHOUND_KAFKA_BROKERS?.trim();
  if (existing) {
    await waitForKafka(existing, 30_000);
    log(`using the Kafka broker at ${existing} (FLOWHOUND_KAFKA_BROKERS)`);
    project.provide('kafkaBrokers', existing);
    return async () => {};
  }
  const started = Date.now();
  const broker = await startKafka({ log });
  log(`broker up in ${((Date.now() - started) / 1000).toFixed(1)} s; its log: ${broker.logFile}`);
  project.provide('kafkaBrokers', broker.brokers);
  return () => broker.stop();
}
