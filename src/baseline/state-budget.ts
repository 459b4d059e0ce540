import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

const MB = 1024 * 1024;

/** The memory this process may use: the cgroup's limit (a pod's `resources.limits.memory`) or the machine's. */
export function memoryLimitBytes(): number {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const text = readFileSync(file, 'utf8').trim();
      const limit = Number(text);
      // cgroup v2 says "max" when unlimited; v1 a huge number.
      if (Number.isFinite(limit) && limit > 0 && limit < totalmem()) return limit;
    } catch {
      // not in a cgroup of that version
    }
  }
  return totalmem();
}

/**
 * Default `detection.max_state_mb`: a quarter of the memory limit, and at most half of V8's heap
 * limit (state lives in the JS heap and typed arrays), within 64 MB..4 GB. A pod limited to
 * 2 GiB gets 512 MB; this 24 GB machine (V8 heap limit ~4.2 GB) 2 GB.
 */
export function defaultStateBudgetMb(limit = memoryLimitBytes(), heapLimit = getHeapStatistics().heap_size_limit): number {
  const mb = Math.min(limit / 4, heapLimit / 2) / MB;
  return Math.round(Math.min(4096, Math.max(64, mb)));
}
