/**
 * Owning-controller names from pod names, so that baselines survive rollouts and restarts.
 *
 * Kubernetes builds pod names from the controller name plus random suffixes drawn from the
 * alphabet `bcdfghjklmnpqrstvwxz2456789` (no vowels, so no words):
 *   Deployment   llm-infer-6b687c8dcb-zn5s2   → llm-infer   (pod-template-hash, then 5-char suffix)
 *   Job          llm-finetune-x7k2p           → llm-finetune
 *   CronJob      backup-28392840-x7k2p        → backup      (scheduled minute, then suffix)
 *   StatefulSet  feature-store-0              → feature-store
 *   DaemonSet    calico-node-7xk2p            → calico-node
 * Calico's aggregated names (`llm-infer-6b687c8dcb-*`) end in `-*` in place of the pod suffix.
 */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const isSafeChar = new Uint8Array(128);
for (let i = 0; i < SAFE_ALPHABET.length; i++) isSafeChar[SAFE_ALPHABET.charCodeAt(i)] = 1;

function isSafeSegment(name: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || isSafeChar[c] === 0) return false;
  }
  return true;
}

function isDigits(name: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Drops the last `-segment` when `test` accepts it and something would remain. */
function dropLastSegment(name: string, test: (name: string, start: number, end: number) => boolean): string {
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return name;
  return test(name, dash + 1, name.length) ? name.slice(0, dash) : name;
}

const isPodSuffix = (n: string, s: number, e: number) => e - s === 5 && isSafeSegment(n, s, e);
const isTemplateHash = (n: string, s: number, e: number) => e - s >= 6 && e - s <= 10 && isSafeSegment(n, s, e);
const isStatefulOrdinal = (n: string, s: number, e: number) => e - s <= 5 && isDigits(n, s, e);
const isCronMinute = (n: string, s: number, e: number) => e - s >= 8 && isDigits(n, s, e);

/** Controller name for an aggregated (`…-*`) or full pod name. */
export function workloadFromPodName(podOrAggregate: string): string {
  let name = podOrAggregate;
  if (name.endsWith('-*')) name = name.slice(0, -2);
  else if (name.endsWith('*')) name = name.slice(0, -1);
  else {
    const withoutSuffix = dropLastSegment(name, isPodSuffix);
    if (withoutSuffix === name) return dropLastSegment(name, isStatefulOrdinal);
    name = withoutSuffix;
  }
  const withoutHash = dropLastSegment(name, isTemplateHash);
  if (withoutHash !== name) return withoutHash;
  return dropLastSegment(name, isCronMinute);
}

/** Memoised `workloadFromPodName`: the same few thousand names repeat in every batch. */
const cache = new Map<string, string>();
const CACHE_LIMIT = 50_000;

export function cachedWorkloadFromPodName(podOrAggregate: string): string {
  let workload = cache.get(podOrAggregate);
  if (workload === undefined) {
    workload = workloadFromPodName(podOrAggregate);
    // Bounded: an attacker inventing pod names costs at most CACHE_LIMIT entries.
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(podOrAggregate, workload);
  }
  return workload;
}
