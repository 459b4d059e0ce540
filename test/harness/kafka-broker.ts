/**
 * A real single-node Apache Kafka broker (KRaft, broker + controller in one JVM) from the
 * Maven Central jars, for the integration tests. No Docker, no tarball: Maven resolves
 * `deploy/kafka/pom.xml` into a cache outside the repository, once per pom version.
 *
 * Kafka 4.1 (not 3.9): kafkajs 2.2.4 negotiates API versions down to what the broker offers
 * and every version it sends is at or above 4.x's new minimums (KIP-896), and 4.x still
 * advertises Produce v0 for librdkafka, so kcat works too. test/integration/kafka-broker.test.ts
 * proves both against this broker on every run.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from './free-port.ts';

const POM = resolve(import.meta.dirname, '../../deploy/kafka/pom.xml');

export interface KafkaBroker {
  /** `127.0.0.1:PORT` */
  brokers: string;
  dataDir: string;
  logFile: string;
  stop(): Promise<void>;
}

/** The broker jars, copied by Maven into `$FLOWHOUND_CACHE/kafka-<pom hash>/libs` when missing. */
export function kafkaLibs(log: (line: string) => void = () => {}): string {
  const pom = readFileSync(POM);
  const hash = createHash('sha256').update(pom).digest('hex').slice(0, 12);
  const cache = process.env.FLOWHOUND_CACHE ?? join(homedir(), '.cache', 'flowhound');
  const libs = join(cache, `kafka-${hash}`, 'libs');
  const marker = join(libs, '.complete');
  if (!existsSync(marker)) {
    log(`resolving Kafka broker jars with Maven into ${libs}`);
    rmSync(libs, { recursive: true, force: true });
    mkdirSync(libs, { recursive: true });
    execFileSync('mvn', ['-B', '-q', '-f', POM, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libs}`], { stdio: ['ignore', 'inherit', 'inherit'] });
    writeFileSync(marker, new Date().toISOString());
  }
  return libs;
}

const LOG4J2 = `Configuration:
  status: warn
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        Pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: warn
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.server.KafkaRaftServer
        level: info
`;

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function startKafka(options: { log?: (line: string) => void; readyTimeoutMs?: number } = {}): Promise<KafkaBroker> {
  const log = options.log ?? (() => {});
  const libs = kafkaLibs(log);
  const dir = mkdtempSync(join(tmpdir(), 'flowhound-kafka-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'kafka.log');
  const [port, controllerPort] = [await freePort(), await freePort()];
  const properties = join(dir, 'server.properties');
  writeFileSync(properties, [
    'process.roles=broker,controller',
    'node.id=1',
    // Static quorum: format without --standalone.
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'log4j2.yaml'), LOG4J2);
  const classpath = `${libs}/*`;
  const java = (args: string[]) => execFileSync('java', ['-cp', classpath, `-Dlog4j2.configurationFile=${join(dir, 'log4j2.yaml')}`, ...args], { encoding: 'utf8' }).trim();
  const clusterId = java(['kafka.tools.StorageTool', 'random-uuid']).split('\n').pop()!;
  java(['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties]);

  const out = openSync(logFile, 'a');
  const child = spawn('java', ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', '-cp', classpath, `-Dlog4j2.configurationFile=${join(dir, 'log4j2.yaml')}`, 'kafka.Kafka', properties], { stdio: ['ignore', out, out] });
  closeSync(out);
  live.add(child);
  let exited = false;
  child.once('exit', () => {
    exited = true;
    live.delete(child);
  });

  const brokers = `127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  const admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  for (;;) {
    if (exited) throw new Error(`Kafka exited during start-up:\n${tail(logFile)}`);
    try {
      await admin.connect();
      await admin.describeCluster();
      await admin.disconnect();
      break;
    } catch {
      await admin.disconnect().catch(() => {});
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`Kafka did not become ready on ${brokers}:\n${tail(logFile)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  log(`Kafka ready on ${brokers}`);
  return { brokers, dataDir, logFile, stop };
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no log)';
  }
}
