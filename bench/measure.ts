/**
 * Runs a flowhound command (`node ARGS`) in a child process and watches its resident set from
 * /proc: peak RSS (VmHWM), RSS at each progress line, and optionally RSS at exact record counts
 * of an input fed through its standard input. Shared by bench/large.ts and bench/flood.ts.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createReadStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { cpuTicksOf, memoryOf } from './proc.ts';

const MB = 1024;

export interface Point {
  records: number;
  rssMb: number;
}

export interface Run {
  name: string;
  seconds: number;
  /** Records parsed (or read from Arrow), and messages rejected. */
  records: number;
  invalid: number;
  peakMb: number;
  /** RSS (MB) after the first progress line past a tenth of the records, and at the last one. */
  early?: Point;
  late?: Point;
  /** With `stdin`: RSS at each checkpoint (the child idle with exactly that many lines read), and the time spent waiting there. */
  checkpoints?: (Point & { hwmMb: number })[];
  pausedSeconds?: number;
  /** The child's stdout and stderr. */
  output: string;
}

export interface MeasureOptions {
  /**
   * Feed this JSON-lines file to the child's standard input (its ARGS read `-`), stopping after
   * each line count in `checkpoints` until the child has processed everything it was given and
   * is idle, and reading its RSS there. Replay reads its input in batches of 2,000 lines, so a
   * checkpoint that is a multiple of 2,000 has every line before it processed.
   */
  stdin?: { path: string; checkpoints: number[] };
}

/** Runs `node ARGS`, sampling its RSS every second and at each progress line. */
export function measure(name: string, args: string[], expected: number, options: MeasureOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] }) as ChildProcessByStdio<Writable | null, Readable, Readable>;
    let peakKb = 0;
    let rssKb = 0;
    let out = '';
    const points: Point[] = [];
    const sample = () => {
      const memory = memoryOf(child.pid!);
      if (memory === undefined) return; // exited between samples
      rssKb = memory.rssKb;
      peakKb = Math.max(peakKb, memory.hwmKb);
    };
    const timer = setInterval(sample, 1000);
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      out += text;
      for (const match of text.matchAll(/progress: ([\d,]+) records/g)) {
        sample();
        points.push({ records: Number(match[1]!.replaceAll(',', '')), rssMb: Math.round(rssKb / MB) });
      }
    });
    let fed: Promise<{ checkpoints: (Point & { hwmMb: number })[]; pausedMs: number }> | undefined;
    if (options.stdin !== undefined && child.stdin !== null) {
      fed = feed(child.pid!, child.stdin, options.stdin.path, options.stdin.checkpoints);
      fed.catch(() => child.kill('SIGKILL'));
    }
    child.on('error', reject);
    child.on('close', async (code) => {
      clearInterval(timer);
      let feeding: Awaited<NonNullable<typeof fed>> | undefined;
      try {
        feeding = await fed;
      } catch (error) {
        return reject(new Error(`${name}: feeding its input failed: ${(error as Error).message}\n${out.slice(-2000)}`));
      }
      if (code !== 0) return reject(new Error(`${name} exited with ${code}:\n${out.slice(-2000)}`));
      const summary = /(\d+) messages in [\d.]+ s \(\d+\/s\): (\d+) records, (\d+) skipped, (\d+) invalid/.exec(out);
      const produced = /produced (\d+) messages in/.exec(out); // replay --to kafka
      const records = summary !== null ? Number(summary[2]) : Number(produced?.[1] ?? 0);
      const run: Run = { name, seconds: (performance.now() - started) / 1000, records, invalid: Number(summary?.[4] ?? 0), peakMb: Math.round(peakKb / MB), output: out };
      const early = points.find((p) => p.records >= expected / 10);
      if (early !== undefined) run.early = early;
      if (points.length > 0) run.late = points[points.length - 1]!;
      if (feeding !== undefined) {
        run.checkpoints = feeding.checkpoints;
        run.pausedSeconds = feeding.pausedMs / 1000;
        run.peakMb = Math.max(run.peakMb, ...feeding.checkpoints.map((c) => c.hwmMb));
      }
      resolve(run);
    });
  });
}

/** Writes the file's lines to `stdin`, stopping at each checkpoint until the child is idle. */
async function feed(pid: number, stdin: Writable, path: string, checkpoints: number[]): Promise<{ checkpoints: (Point & { hwmMb: number })[]; pausedMs: number }> {
  stdin.on('error', () => {}); // EPIPE if the child dies: reported by its exit code
  const write = (data: Buffer) => new Promise<void>((resolve, reject) => {
    // Resolves once the data is handed to the pipe; the write callback is that moment.
    stdin.write(data, (error) => (error ? reject(error) : resolve()));
  });
  const wanted = [...checkpoints].sort((a, b) => a - b);
  const reached: (Point & { hwmMb: number })[] = [];
  let pausedMs = 0;
  let lines = 0;
  let next = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let from = 0;
    let at = 0;
    while (next < wanted.length) {
      const target = wanted[next]!;
      while (lines < target) {
        const newline = chunk.indexOf(10, at);
        if (newline < 0) break;
        at = newline + 1;
        lines++;
      }
      if (lines < target) break;
      await write(chunk.subarray(from, at));
      from = at;
      const paused = performance.now();
      const memory = await whenIdle(pid);
      pausedMs += performance.now() - paused;
      reached.push({ records: lines, rssMb: Math.round(memory.rssKb / MB), hwmMb: Math.round(memory.hwmKb / MB) });
      next++;
    }
    if (from < chunk.length) await write(chunk.subarray(from));
  }
  await new Promise<void>((resolve) => stdin.end(resolve));
  return { checkpoints: reached, pausedMs };
}

/** Waits until `pid` has used no CPU for 300 ms (it has processed all its input), then reads its memory. */
async function whenIdle(pid: number): Promise<{ rssKb: number; hwmKb: number }> {
  let last = cpuTicksOf(pid);
  let quiet = 0;
  while (quiet < 3) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const ticks = cpuTicksOf(pid);
    if (ticks === undefined) throw new Error('the child exited before reaching a checkpoint');
    quiet = ticks === last ? quiet + 1 : 0;
    last = ticks;
  }
  const memory = memoryOf(pid);
  if (memory === undefined) throw new Error('the child exited before reaching a checkpoint');
  return memory;
}
