import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Shutdown, type ShutdownOptions } from '../../../src/cli/shutdown.ts';
import { createLogger } from '../../../src/telemetry/logger.ts';

/** A Shutdown wired to a fake process: signals from an EventEmitter, exits and log lines recorded. */
function harness(overrides: Partial<ShutdownOptions> = {}) {
  const signals = new EventEmitter();
  const lines: string[] = [];
  const exits: number[] = [];
  const events: string[] = [];
  const shutdown = new Shutdown({
    timeoutMs: 200,
    logger: createLogger('debug', (line) => lines.push(line)),
    emitter: signals,
    onStop: (signal) => events.push(`stop ${signal}`),
    onExit: (code) => events.push(`summary ${code}`),
    exit: (code) => { exits.push(code); },
    ...overrides,
  }).install();
  return { shutdown, signals, lines, exits, events };
}

const never = () => new Promise<void>(() => {});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the bounded shutdown', () => {
  it('starts the graceful stop on the first signal and exits with the code the graceful path gives', async () => {
    const { shutdown, signals, exits, events } = harness();
    expect(shutdown.stopping).toBe(false);
    signals.emit('SIGTERM', 'SIGTERM');
    expect(shutdown.stopping).toBe(true);
    expect(events).toEqual(['stop SIGTERM']);
    await shutdown.exit(0);
    expect(events).toEqual(['stop SIGTERM', 'summary 0']);
    expect(exits).toEqual([0]);
    // The deadline was disarmed by the exit.
    await sleep(300);
    expect(exits).toEqual([0]);
  });

  it('listens to SIGINT too', () => {
    const { signals, events } = harness();
    signals.emit('SIGINT', 'SIGINT');
    expect(events).toEqual(['stop SIGINT']);
  });

  it('exits with 1 at the deadline, naming the parts still pending, with the summary', async () => {
    const { shutdown, signals, lines, exits, events } = harness();
    void shutdown.track('draining the pipeline', never());
    // That part began long before the stop: it counts as pending from the signal on.
    await sleep(150);
    void shutdown.track('a part that finished', Promise.resolve());
    void shutdown.track('a part that failed', Promise.reject(new Error('x'))).catch(() => {});
    signals.emit('SIGTERM', 'SIGTERM');
    void shutdown.track('stopping the sources', never());
    await sleep(50);
    expect(shutdown.pendingParts()).toEqual(['draining the pipeline', 'stopping the sources']);
    expect(exits).toEqual([]);
    await sleep(250);
    expect(exits).toEqual([1]);
    expect(events).toEqual(['stop SIGTERM', 'summary 1']);
    const last = lines.at(-1)!;
    expect(last).toMatch(/ERROR shutdown: the graceful stop did not finish within 0\.2 s; still pending: draining the pipeline \(for 0\.[23] s\)/);
    expect(last).toContain('; stopping the sources (for 0.');
    expect(last).toContain('exiting with code 1');
    // The graceful path finishing late changes nothing: the first ending wins.
    await shutdown.exit(0);
    expect(exits).toEqual([1]);
    expect(events).toEqual(['stop SIGTERM', 'summary 1']);
  });

  it('exits at once with 1 on a second signal, and ignores signals once exiting', async () => {
    const { shutdown, signals, lines, exits, events } = harness({ timeoutMs: 60_000 });
    void shutdown.track('stopping the sources', never());
    signals.emit('SIGTERM', 'SIGTERM');
    signals.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([1]);
    expect(lines.at(-1)).toMatch(/WARN shutdown: second signal \(SIGINT\), exiting now; still pending: stopping the sources \(for \d+\.\d s\)/);
    signals.emit('SIGTERM', 'SIGTERM');
    expect(exits).toEqual([1]);
    expect(events).toEqual(['stop SIGTERM', 'summary 1']);
  });

  it('bounds a process that ends without a signal too, once its deadline is armed', async () => {
    const { shutdown, exits, events } = harness();
    void shutdown.track('stopping the metrics server', never());
    shutdown.armDeadline();
    shutdown.armDeadline();
    await sleep(300);
    expect(exits).toEqual([1]);
    expect(events).toEqual(['summary 1']);
  });

  it('exits when the graceful stop cannot even start', () => {
    const { signals, exits, lines } = harness({ onStop: () => { throw new Error('no pipeline'); } });
    signals.emit('SIGTERM', 'SIGTERM');
    expect(exits).toEqual([1]);
    expect(lines.join('')).toContain('the graceful stop failed to start: no pipeline');
  });

  it('flushes what stdout holds before process.exit, even into a slow pipe', async () => {
    // A real process: 1 MB to a pipe is still queued when process.exit would run.
    const module = resolve(import.meta.dirname, '../../../src/cli/shutdown.ts');
    const script = `import { flushAndExit } from ${JSON.stringify(module)}; process.stdout.write('x'.repeat(1 << 20) + 'END'); await flushAndExit(3);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let bytes = 0;
    let tail = '';
    child.stdout.pause();
    // Read slowly at first, so that the writes really queue up.
    setTimeout(() => child.stdout.resume(), 300);
    child.stdout.on('data', (chunk: Buffer) => { bytes += chunk.length; tail = (tail + chunk.toString()).slice(-3); });
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(code).toBe(3);
    expect(bytes).toBe((1 << 20) + 3);
    expect(tail).toBe('END');
  });
});
