/**
 * A real single-node Apache Kafka broker (KRaft: broker and controller in one JVM) from the
 * Maven Central jars, for the integration tests. No Docker, no tarball: Maven resolves
 * `deploy/kafka/pom.xml` into a cache outside the repository, once per pom.
 *
 * Why Kafka 4.x and not 3.9: kafkajs 2.2.4 negotiates each API down to the broker's maximum and
 * every version it sends (Produce 7, Fetch 11, JoinGroup 5, OffsetCommit 5, OffsetFetch 4, …) is at
 * or above the minimums that 4.0 raised (KIP-896), and 4.x still advertises old Produce versions
 * for librdkafka, so kcat works too. Tried on this machine with kafka_2.13 4.1.2, 4.3.1 and 4.4.0:
 * test/integration/kafka-broker.test.ts (kcat → kafkajs consumer group with committed offsets,
 * kafkajs → kcat with headers) passes on each; it runs on every `npm test`, so a broker bump that
 * breaks kafkajs shows there first. Pinned: 4.4.0, the newest that Maven Central serves here. The
 * fallback, if kafkajs ever breaks, is the newest 3.9.x with `org.slf4j:slf4j-reload4j` as the
 * logging binding (and `kafka.tools.StorageTool format` the same way: static quorum).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { freePort } from './free-port.ts';

const POM = resolve(import.meta.dirname, '../../deploy/kafka/pom.xml');

export interface KafkaBroker {
  /** `127.0.0.1:PORT`, the PLAINTEXT listener. */
  brokers: string;
  /** The SASL_SSL listener and what a client needs for it, when started with `saslSsl`. */
  saslSsl?: SaslSslListener;
  /** `log.dirs` of the broker (inside a temp dir that stop() removes). */
  dataDir: string;
  /** The broker's stdout/stderr (log4j2 at INFO), in the same temp dir. */
  logFile: string;
  /** SIGTERM (controlled shutdown), SIGKILL after 20 s, then removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /**
   * Makes the broker unreachable without losing anything: SIGSTOP freezes the JVM, so open
   * connections stay open and the kernel still accepts new ones, but no request is answered
   * (a hung broker or a network partition, the case where clients wait for their timeouts).
   * Idempotent; stop() resumes a paused broker first.
   */
  pause(): void;
  /** SIGCONT: the paused broker answers again, on the same port with the same data. Idempotent. */
  resume(): void;
  /** Stops the broker (controlled shutdown), waits `downMs`, and starts it again on the same port and data. */
  restart(downMs?: number): Promise<void>;
}

export interface StartKafkaOptions {
  log?: (line: string) => void;
  /** How long to wait for `describeCluster()` to answer; 90 s by default. */
  readyTimeoutMs?: number;
  /** Extra or overriding `server.properties` lines (e.g. a SASL listener). */
  properties?: Record<string, string>;
  /** Keep the temp dir (data and log) after stop(), for post-mortems. Also FLOWHOUND_KEEP_KAFKA=1. */
  keep?: boolean;
  /**
   * Also a SASL_SSL listener: SCRAM-SHA-512 users seeded at format time (`--add-scram`) and a
   * certificate for 127.0.0.1 signed by a CA made for this broker (openssl, in its temp dir).
   * `true`: one user, `flowhound`, with a random password. Off by default: the shared broker of
   * global-setup stays plaintext only, and as fast to start as ever.
   */
  saslSsl?: boolean | { users?: ScramUser[] };
}

export interface ScramUser {
  name: string;
  password: string;
}

export interface SaslSslListener {
  /** `127.0.0.1:PORT` of the SASL_SSL listener. */
  brokers: string;
  mechanism: 'scram-sha-512';
  /** The users seeded with `--add-scram`, with their passwords. */
  users: ScramUser[];
  /** PEM of the CA that signed the listener's certificate (SAN IP:127.0.0.1, DNS:localhost). */
  caFile: string;
}

/**
 * A throwaway CA in `dir` (`<name>.pem`, `<name>.key`): EC P-256, valid for a week. A test that
 * needs a CA the broker's certificate is not signed by makes a second one with this.
 */
export function createTestCa(dir: string, name: string): { certFile: string; keyFile: string } {
  mkdirSync(dir, { recursive: true });
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  openssl(['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '7',
    '-subj', `/CN=flowhound test CA ${name} ${randomBytes(4).toString('hex')}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { certFile, keyFile };
}

/** The broker's key and certificate for 127.0.0.1, signed by a new CA, as a PKCS#12 keystore Java reads. */
function createBrokerKeystore(dir: string): { caFile: string; keystore: string; password: string } {
  const ca = createTestCa(dir, 'ca');
  const key = join(dir, 'broker.key');
  const csr = join(dir, 'broker.csr');
  const cert = join(dir, 'broker.pem');
  const ext = join(dir, 'broker.ext');
  const keystore = join(dir, 'broker.p12');
  const password = randomBytes(12).toString('hex');
  writeFileSync(ext, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=127.0.0.1']);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-out', cert, '-days', '7', '-extfile', ext]);
  // Only the broker's own certificate in the chain, as many deployments have it.
  openssl(['pkcs12', '-export', '-in', cert, '-inkey', key, '-name', 'broker', '-out', keystore, '-passout', `pass:${password}`]);
  return { caFile: ca.certFile, keystore, password };
}

function openssl(args: string[]): void {
  const run = spawnSync('openssl', args, { encoding: 'utf8' });
  if (run.error !== undefined || run.status !== 0) throw new Error(`openssl ${args[0]} failed (${run.error?.message ?? `exit ${run.status}`}): ${run.stderr}`);
}

/** The Kafka version that deploy/kafka/pom.xml pins (`<kafka.version>`). */
export function kafkaVersion(): string {
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(POM, 'utf8'));
  if (match === null) throw new Error(`${POM} has no <kafka.version>`);
  return match[1]!.trim();
}

/**
 * The broker jars, copied by Maven into `${FLOWHOUND_CACHE:-~/.cache/flowhound}/kafka-<version>/libs`.
 * A marker holding the pom's hash says the copy is complete and current: Maven runs only when it
 * is missing or the pom changed. The copy goes to a sibling dir first and is renamed into place,
 * so an interrupted copy never looks complete.
 */
export function kafkaLibs(log: (line: string) => void = () => {}): string {
  const hash = createHash('sha256').update(readFileSync(POM)).digest('hex');
  const cache = process.env.FLOWHOUND_CACHE || join(homedir(), '.cache', 'flowhound');
  const libs = join(cache, `kafka-${kafkaVersion()}`, 'libs');
  const marker = (dir: string) => join(dir, '.pom-sha256');
  const current = (dir: string) => existsSync(marker(dir)) && readFileSync(marker(dir), 'utf8').trim() === hash;
  if (current(libs)) return libs;

  const staging = `${libs}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(dirname(libs), { recursive: true });
  log(`resolving the Kafka ${kafkaVersion()} broker jars with Maven into ${libs}`);
  const started = Date.now();
  const mvn = spawnSync('mvn', ['-B', '-q', '-f', POM, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${staging}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (mvn.error !== undefined || mvn.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`mvn dependency:copy-dependencies failed (${mvn.error?.message ?? `exit ${mvn.status}`}); it needs Maven and Maven Central:\n${mvn.stdout}${mvn.stderr}`);
  }
  writeFileSync(marker(staging), hash + '\n');
  rmSync(libs, { recursive: true, force: true });
  try {
    renameSync(staging, libs);
  } catch (error) {
    // Another test process got there first with the same pom: use its copy.
    rmSync(staging, { recursive: true, force: true });
    if (!current(libs)) throw error;
  }
  log(`Kafka jars resolved in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return libs;
}

// Properties format, not YAML: log4j-core reads it without Jackson on the classpath.
const LOG4J2 = `status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = OUT
# Noise at INFO: one line per partition and topic change, and full config dumps on every start.
logger.statechange.name = state.change.logger
logger.statechange.level = warn
logger.unifiedlog.name = org.apache.kafka.storage.internals.log
logger.unifiedlog.level = warn
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = warn
`;

/** Brokers still running in this process; SIGTERMed when it exits (the watchdogs cover crashes). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGTERM');
});

/**
 * Starts a fresh broker in a new temp dir on free loopback ports and resolves once a kafkajs
 * admin client's describeCluster() answers.
 */
export async function startKafka(options: StartKafkaOptions = {}): Promise<KafkaBroker> {
  const log = options.log ?? (() => {});
  const libs = kafkaLibs(log);
  // A free port is only free until someone else binds it: start again on new ports if we lost one.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(libs, options, log);
    } catch (error) {
      if (attempt >= 3 || !/BindException|Address already in use/.test((error as Error).message)) throw error;
      log(`a port was taken before Kafka bound it; starting again (${attempt})`);
    }
  }
}

async function startOnce(libs: string, options: StartKafkaOptions, log: (line: string) => void): Promise<KafkaBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'flowhound-kafka-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'kafka.log');
  const port = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === port) controllerPort = await freePort();
  const brokers = `127.0.0.1:${port}`;
  let secured: Awaited<ReturnType<typeof saslSslSettings>> | undefined;
  try {
    if (options.saslSsl !== undefined && options.saslSsl !== false) secured = await saslSslSettings(dir, options.saslSsl === true ? {} : options.saslSsl, [port, controllerPort]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const settings: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    // Static quorum (the voter set is in the config), so storage is formatted WITHOUT --standalone.
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${brokers}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': dataDir,
    'num.partitions': '1',
    // One node: every internal topic at replication factor 1.
    'offsets.topic.replication.factor': '1',
    // __consumer_offsets is created on the first group; 4 partitions instead of 50 make that fast.
    'offsets.topic.num.partitions': '4',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    // Tests join groups one consumer at a time: no 3 s wait for more members.
    'group.initial.rebalance.delay.ms': '0',
    // Tests create their topics explicitly; a typo must fail, not create a topic.
    'auto.create.topics.enable': 'false',
    ...secured?.properties(port, controllerPort),
    ...options.properties,
  };
  const properties = join(dir, 'server.properties');
  writeFileSync(properties, Object.entries(settings).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const log4j = join(dir, 'log4j2.properties');
  writeFileSync(log4j, LOG4J2);
  // No log4j shutdown hook: Kafka's own hook logs the shutdown, and log4j's warns when registered late.
  const jvm = ['-cp', `${libs}/*`, `-Dlog4j2.configurationFile=${log4j}`, '-Dlog4j2.shutdownHookEnabled=false'];

  // A cluster id is 16 random bytes in base64url (what `StorageTool random-uuid` prints); making it
  // here saves a JVM start. Kafka rejects ids starting with '-' (they read as CLI flags).
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  // kafka.tools.StorageTool is the Scala class in kafka_2.13 (checked with unzip -l for 4.1–4.4).
  // SCRAM credentials live in the cluster metadata: under KRaft they are seeded when the storage is formatted (KIP-900).
  const scram = (secured?.listener.users ?? []).flatMap((user) => ['--add-scram', `SCRAM-SHA-512=[name=${user.name},password=${user.password}]`]);
  const format = spawnSync('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties, ...scram], { encoding: 'utf8' });
  if (format.error !== undefined || format.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Kafka StorageTool format failed (${format.error?.message ?? `exit ${format.status}`}):\n${format.stdout}${format.stderr}`);
  }

  const keep = options.keep ?? process.env.FLOWHOUND_KEEP_KAFKA === '1';
  let child!: ChildProcess;
  let exited = false;
  let gone!: Promise<void>;
  let watchdog: ChildProcess | undefined;
  const launch = () => {
    const out = openSync(logFile, 'a');
    const started = spawn('java', ['-Xms256m', '-Xmx512m', '-XX:+ExitOnOutOfMemoryError', ...jvm, 'kafka.Kafka', properties], { stdio: ['ignore', out, out] });
    closeSync(out);
    live.add(started);
    exited = false;
    gone = new Promise<void>((resolveExit) =>
      started.once('exit', () => {
        exited = true;
        live.delete(started);
        resolveExit();
      }),
    );
    child = started;
    watchdog = started.pid === undefined ? undefined : startWatchdog(started.pid, keep ? undefined : dir);
  };
  launch();

  let paused = false;
  const pause = () => {
    if (paused || exited) return;
    child.kill('SIGSTOP');
    paused = true;
  };
  const resume = () => {
    if (!paused) return;
    child.kill('SIGCONT');
    paused = false;
  };

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (!exited) {
        // A stopped process keeps SIGTERM pending until it is continued.
        resume();
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await gone;
        clearTimeout(timer);
      }
      // Only now, so that the broker stays watched while it shuts down; killed before its pipe
      // closes, the watchdog never acts.
      watchdog?.kill('SIGKILL');
      watchdog?.stdin?.destroy();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    })());

  try {
    await waitForKafka(brokers, options.readyTimeoutMs ?? 90_000, () => exited);
    // The secured listener starts with the others; one round trip proves the TLS and SCRAM set-up.
    if (secured !== undefined) await waitForKafka(secured.listener.brokers, 20_000, () => exited, clientSecurity(secured.listener));
  } catch (error) {
    const reason = exited ? `Kafka exited during start-up (exit code ${child.exitCode})` : (error as Error).message;
    const report = startupReport(logFile);
    await stop();
    throw new Error(`${reason}\n${report}`);
  }
  log(`Kafka ${kafkaVersion()} ready on ${brokers} (pid ${child.pid}, dir ${dir})`);
  // A controlled shutdown, then the same broker again: same port, same data.
  const restart = async (downMs = 0) => {
    resume();
    child.kill('SIGTERM');
    await gone;
    // This watchdog would remove the data dir once its broker is gone: the next one takes over.
    watchdog?.stdin?.destroy();
    watchdog?.kill('SIGKILL');
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    launch();
    await waitForKafka(brokers, options.readyTimeoutMs ?? 90_000, () => exited);
  };
  return { brokers, ...(secured === undefined ? {} : { saslSsl: secured.listener }), dataDir, logFile, stop, pause, resume, restart };
}

/** The SASL_SSL listener's users, certificate and `server.properties` lines, on a port of its own. */
async function saslSslSettings(dir: string, options: { users?: ScramUser[] }, taken: number[]) {
  let port = await freePort();
  while (taken.includes(port)) port = await freePort();
  const users = options.users ?? [{ name: 'flowhound', password: randomBytes(18).toString('base64url') }];
  // The users go into a --add-scram argument: [name=…,password=…] has no quoting.
  for (const user of users) if (!/^[\w.-]+$/.test(user.name) || !/^[\w.~-]+$/.test(user.password)) throw new Error(`startKafka: SCRAM user ${user.name}: names and passwords are letters, digits and . _ - ~ only`);
  const tls = createBrokerKeystore(join(dir, 'tls'));
  const listener: SaslSslListener = { brokers: `127.0.0.1:${port}`, mechanism: 'scram-sha-512', users, caFile: tls.caFile };
  const properties = (plainPort: number, controllerPort: number): Record<string, string> => ({
    listeners: `PLAINTEXT://127.0.0.1:${plainPort},SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${plainPort},SASL_SSL://127.0.0.1:${port}`,
    // Brokers and the controller keep talking PLAINTEXT; only clients of this listener authenticate.
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
    'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.ssl.keystore.type': 'PKCS12',
    'listener.name.sasl_ssl.ssl.keystore.location': tls.keystore,
    'listener.name.sasl_ssl.ssl.keystore.password': tls.password,
    'listener.name.sasl_ssl.ssl.key.password': tls.password,
  });
  return { listener, properties };
}

/** kafkajs `ssl` and `sasl` options for the secured listener, as its first user. */
export function clientSecurity(listener: SaslSslListener, user: ScramUser = listener.users[0]!): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  return { ssl: { ca: readFileSync(listener.caFile, 'utf8') }, sasl: { mechanism: listener.mechanism, username: user.name, password: user.password } };
}

/**
 * Resolves once a kafkajs admin client gets an answer to describeCluster() from `brokers`.
 * Also the check for a broker given through FLOWHOUND_KAFKA_BROKERS.
 */
export async function waitForKafka(brokers: string, timeoutMs: number, abort: () => boolean = () => false, security: Pick<KafkaConfig, 'ssl' | 'sasl'> = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const kafka = new Kafka({ clientId: 'flowhound-test-env', brokers: brokers.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 2_000, retry: { retries: 0 }, ...security });
  let last: unknown;
  for (;;) {
    if (abort()) throw new Error('aborted');
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return;
    } catch (error) {
      last = error;
    } finally {
      await admin.disconnect().catch(() => {});
    }
    if (Date.now() > deadline) throw new Error(`Kafka at ${brokers} did not answer describeCluster() within ${timeoutMs} ms: ${(last as Error)?.message ?? last}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * A leftover broker must never outlive the test run, even when the test process is SIGKILLed
 * and runs no 'exit' handler. The watchdog is a shell in its own session that blocks reading a
 * pipe from this process; the pipe closes when this process ends however it ends, and the
 * watchdog then SIGTERMs the broker, SIGKILLs it after 20 s and removes its temp dir (`dir`, when
 * not kept). stop() kills the watchdog first and does all that itself. The loops are bounded:
 * without a reaping init, a dead broker stays a zombie that `kill -0` still finds.
 */
function startWatchdog(pid: number, dir: string | undefined): ChildProcess {
  const script = [
    'read _ignored',
    'kill -TERM "$1" 2>/dev/null || exit 0',
    // A paused broker (pause()) acts on the TERM only once continued.
    'kill -CONT "$1" 2>/dev/null',
    'i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 40 ]; do sleep 0.5; i=$((i+1)); done',
    'kill -KILL "$1" 2>/dev/null && sleep 1',
    '[ -z "$2" ] || rm -rf -- "$2"',
  ].join('\n');
  const watchdog = spawn('sh', ['-c', script, 'flowhound-kafka-watchdog', String(pid), dir ?? ''], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  // Neither the watchdog nor its pipe may keep the test process alive.
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
  watchdog.on('error', () => {});
  watchdog.stdin?.on('error', () => {});
  return watchdog;
}

/** The first ERROR lines (the cause; shutdown noise follows them) and the last lines of a broker log. */
function startupReport(path: string): string {
  let lines: string[];
  try {
    lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  } catch {
    return `(no log at ${path})`;
  }
  const errors = lines.filter((line) => / ERROR |Exception: /.test(line)).slice(0, 8);
  return [`--- first errors in ${path} ---`, ...errors, `--- last lines ---`, ...lines.slice(-40)].join('\n');
}
