/**
 * A real OpenTelemetry Collector (contrib components) for the shipper tests: built once with
 * the collector builder (ocb) from deploy/shippers/otel-collector/builder.yaml into a cache
 * outside the repository, then run as a child process with the shipped config.
 *
 * The build needs only the Go toolchain and the Go module proxy (GOPROXY, GOFLAGS and the other
 * Go variables come from the environment): `go install go.opentelemetry.io/collector/cmd/builder`
 * at BUILDER_VERSION, then `builder --config <manifest>` (minutes on 2 cores, a ~50 MB binary).
 * The cache is `${FLOWHOUND_CACHE:-~/.cache/flowhound}/otelcol-<dist.version>/`; a marker holding
 * the manifest's hash says the binary there is complete and current, so the build runs only when
 * it is missing or the manifest changed. It is built in a sibling directory and renamed into
 * place, so an interrupted build never looks complete; of two concurrent first builds, the one
 * that finishes second finds the first one's binary in place and drops its own. FLOWHOUND_OTELCOL=/path/to/otelcol uses a binary instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const BUILDER_MANIFEST = resolve(import.meta.dirname, '../../deploy/shippers/otel-collector/builder.yaml');
/** The collector builder's module version; its components are pinned in the manifest. */
export const BUILDER_VERSION = 'v0.165.0';

function manifestField(text: string, field: string): string {
  const match = new RegExp(`^\\s+${field}:\\s*(\\S+)`, 'm').exec(text);
  if (match === null) throw new Error(`${BUILDER_MANIFEST} has no dist.${field}`);
  return match[1]!;
}

/**
 * The collector binary, built when the cache has none for the current manifest. Slow the first
 * time (minutes; the go commands run as child processes, so the event loop stays free): call it
 * from a beforeAll with a long timeout.
 */
export async function otelcolBinary(log: (line: string) => void = () => {}): Promise<string> {
  const override = process.env.FLOWHOUND_OTELCOL?.trim();
  if (override) return override;
  const manifest = readFileSync(BUILDER_MANIFEST, 'utf8');
  const name = manifestField(manifest, 'name');
  const version = manifestField(manifest, 'version');
  const hash = createHash('sha256').update(BUILDER_VERSION).update('\0').update(manifest).digest('hex');
  const cache = process.env.FLOWHOUND_CACHE || join(homedir(), '.cache', 'flowhound');
  const dir = join(cache, `otelcol-${version}`);
  const binary = join(dir, name);
  const marker = (d: string) => join(d, '.manifest-sha256');
  const current = (d: string) => existsSync(join(d, name)) && existsSync(marker(d)) && readFileSync(marker(d), 'utf8').trim() === hash;
  if (current(dir)) return binary;

  if (spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0) throw new Error('go not found on PATH: the OpenTelemetry Collector is built with the Go toolchain (go install + the collector builder)');
  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const logFile = join(staging, 'build.log');
  const started = Date.now();
  log(`building the OpenTelemetry Collector ${version} (${BUILDER_MANIFEST}) into ${dir}; once, a few minutes; log: ${logFile}`);
  const run = async (command: string, args: string[], env: NodeJS.ProcessEnv) => {
    const fd = openSync(logFile, 'a');
    try {
      writeFileSync(fd, `$ ${command} ${args.join(' ')}\n`);
      const child = spawn(command, args, { cwd: staging, env, stdio: ['ignore', fd, fd] });
      const timer = setTimeout(() => child.kill('SIGKILL'), 25 * 60_000);
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done, fail) => {
        child.once('error', fail);
        child.once('close', (c, s) => done([c, s]));
      }).finally(() => clearTimeout(timer));
      if (code !== 0) {
        const tail = readFileSync(logFile, 'utf8').slice(-4000);
        throw new Error(`${command} ${args.join(' ')} failed (exit ${code}, signal ${signal}); ${logFile}:\n${tail}`);
      }
    } finally {
      closeSync(fd);
    }
  };
  // Only the builder goes to a bin dir of ours; the module and build caches are Go's own.
  await run('go', ['install', `go.opentelemetry.io/collector/cmd/builder@${BUILDER_VERSION}`], { ...process.env, GOBIN: join(staging, 'bin') });
  // The same manifest, built into the staging dir (output_path is the only line changed).
  const built = join(staging, 'dist');
  const localManifest = join(staging, 'builder.yaml');
  writeFileSync(localManifest, manifest.replace(/^(\s+output_path:).*$/m, `$1 ${JSON.stringify(built)}`));
  await run(join(staging, 'bin', 'builder'), ['--config', localManifest], { ...process.env });
  renameSync(join(built, name), join(staging, name));
  rmSync(built, { recursive: true, force: true });
  writeFileSync(marker(staging), `${hash}\n`);
  if (current(dir)) {
    // Another run finished the same build meanwhile (and may be running it): keep that one.
    rmSync(staging, { recursive: true, force: true });
  } else {
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(staging, dir);
    } catch (error) {
      if (!current(dir)) throw error;
      rmSync(staging, { recursive: true, force: true });
    }
  }
  log(`OpenTelemetry Collector built in ${((Date.now() - started) / 1000).toFixed(0)} s: ${binary}`);
  return binary;
}

export interface CollectorOptions {
  /** The collector config file (`--config file:…`). */
  config: string;
  /** More command-line arguments (e.g. `--feature-gates=…`). */
  args?: string[];
  /** Environment for `${env:…}` references in the config (added to this process's). */
  env?: Record<string, string>;
  /** The collector's stdout and stderr are appended here. */
  logFile: string;
}

/** One collector process. */
export class Collector {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(binary: string, options: CollectorOptions) {
    const fd = openSync(options.logFile, 'a');
    this.child = spawn(binary, ['--config', `file:${options.config}`, ...(options.args ?? [])], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (chunk: Buffer) => {
      this.output += chunk.toString();
      writeFileSync(fd, chunk);
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.exited = new Promise((done) => this.child.once('close', (code, signal) => {
      closeSync(fd);
      done({ code, signal });
    }));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once the collector says its pipelines run; rejects if it exits or takes over `timeoutMs`. */
  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes('Everything is ready')) {
      if (!this.running) throw new Error(`the collector exited before it was ready:\n${this.output.slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`the collector was not ready after ${timeoutMs} ms:\n${this.output.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Sends `signal` (SIGTERM by default: graceful, SIGKILL: a crashed pod) and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
