/**
 * Reading a process's memory and CPU from /proc (Linux), for the benchmarks that run their
 * subject in a child process so that its peak resident set is its own.
 */
import { readFileSync } from 'node:fs';

export interface Memory {
  /** Resident set now (VmRSS) and its high-water mark (VmHWM), kB. */
  rssKb: number;
  hwmKb: number;
}

/** VmRSS and VmHWM of `pid` (or this process); undefined once it has exited. */
export function memoryOf(pid: number | 'self' = 'self'): Memory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rssKb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0), hwmKb: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) };
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) `pid` has used so far, in clock ticks (1/100 s on Linux); undefined once it has exited. */
export function cpuTicksOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) in parentheses: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** Samples a child's VmHWM every `everyMs` (peak RSS seen from outside, whatever the child reports). */
export function watchPeak(pid: number, everyMs = 250): { peakKb: () => number; stop: () => void } {
  let peak = 0;
  const sample = () => {
    const memory = memoryOf(pid);
    if (memory !== undefined) peak = Math.max(peak, memory.hwmKb);
  };
  const timer = setInterval(sample, everyMs);
  return {
    peakKb: () => {
      sample();
      return peak;
    },
    stop: () => clearInterval(timer),
  };
}

export const mb = (kb: number) => kb / 1024;
export const fmt = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
