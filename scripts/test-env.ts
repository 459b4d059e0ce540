/**
 * The integration tests' Kafka broker by hand, to run tests against one broker many times or to
 * poke at it with kcat:
 *
 *   node_modules/.bin/node scripts/test-env.ts start &   # prints FLOWHOUND_KAFKA_BROKERS=…, runs until stopped
 *   FLOWHOUND_KAFKA_BROKERS=127.0.0.1:PORT npx vitest run --project integration
 *   node_modules/.bin/node scripts/test-env.ts stop
 *
 * `start` stays in the foreground (the broker lives as long as this process: the harness's
 * watchdog stops it when the process goes) and records its pid in the cache dir for `stop`.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { startKafka } from '../test/harness/kafka-broker.ts';
import { ensureSystemPackages } from '../test/harness/system-packages.ts';

const stateFile = join(process.env.FLOWHOUND_CACHE || join(homedir(), '.cache', 'flowhound'), 'test-env.json');
const log = (line: string) => process.stderr.write(`[test-env] ${line}\n`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function start(): Promise<void> {
  if (existsSync(stateFile)) {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { pid: number; brokers: string };
    if (alive(state.pid)) throw new Error(`a test broker is already running (pid ${state.pid}): FLOWHOUND_KAFKA_BROKERS=${state.brokers}`);
  }
  ensureSystemPackages(log);
  const broker = await startKafka({ log });
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, JSON.stringify({ pid: process.pid, brokers: broker.brokers, logFile: broker.logFile }) + '\n');
  process.stdout.write(`FLOWHOUND_KAFKA_BROKERS=${broker.brokers}\n`);
  const shutdown = async () => {
    await broker.stop();
    rmSync(stateFile, { force: true });
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  setInterval(() => {}, 1 << 30);
}

async function stop(): Promise<void> {
  if (!existsSync(stateFile)) {
    log('no test broker recorded');
    return;
  }
  const { pid } = JSON.parse(readFileSync(stateFile, 'utf8')) as { pid: number };
  if (alive(pid)) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (alive(pid)) throw new Error(`pid ${pid} still running after 30 s`);
  }
  rmSync(stateFile, { force: true });
  log(`stopped (pid ${pid})`);
}

const command = process.argv[2];
if (command !== 'start' && command !== 'stop') {
  process.stderr.write('usage: node scripts/test-env.ts start|stop\n');
  process.exit(2);
}
try {
  await (command === 'start' ? start() : stop());
} catch (error) {
  log((error as Error).message);
  process.exit(1);
}
