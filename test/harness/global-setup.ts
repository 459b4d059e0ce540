import type { TestProject } from 'vitest/node';
import { startKafka } from './kafka-broker.ts';
import { ensureSystemPackages } from './system-packages.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `host:port` of the test broker. */
    kafkaBrokers: string;
  }
}

/**
 * Integration tests' environment, started once: the Debian tools (kcat, Prometheus,
 * Alertmanager) and a real Kafka broker. FLOWHOUND_KAFKA_BROKERS reuses a running broker.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => process.stderr.write(`[test-env] ${line}\n`);
  ensureSystemPackages(log);
  const existing = process.env.FLOWHOUND_KAFKA_BROKERS;
  if (existing !== undefined && existing !== '') {
    project.provide('kafkaBrokers', existing);
    return async () => {};
  }
  const started = Date.now();
  const broker = await startKafka({ log });
  log(`broker up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  project.provide('kafkaBrokers', broker.brokers);
  return () => broker.stop();
}
