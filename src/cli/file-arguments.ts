import { existsSync } from 'node:fs';
import { FlowhoundError } from '../errors.ts';

/** A data file named on the command line, with the cluster its records belong to when it says. */
export interface FileArgument {
  path: string;
  /** From a `FILE@CLUSTER` suffix: the cluster for formats that carry none (Calico). */
  cluster?: string;
}

/** A Kubernetes-style name (RFC 1123 label, dots allowed): what a cluster suffix may be. */
const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * `calico-flows.jsonl@train-eu` → the file and its cluster, so one replay can mix Calico files
 * of several clusters (Calico records carry no cluster name). A file that exists under the
 * whole name is taken as it is.
 */
export function parseFileArgument(argument: string): FileArgument {
  const at = argument.lastIndexOf('@');
  if (at <= 0 || argument === '-' || existsSync(argument)) return { path: argument };
  const cluster = argument.slice(at + 1);
  if (!CLUSTER_NAME.test(cluster)) throw new FlowhoundError('FH_USAGE', `${JSON.stringify(argument)}: the part after @ must be a cluster name (lower-case letters, digits, '-', '.'), got ${JSON.stringify(cluster)}`);
  return { path: argument.slice(0, at), cluster };
}

/** The files grouped by cluster (`undefined`: the pipeline's or --cluster), in first-seen order. */
export function filesByCluster(argumentsList: string[]): Map<string | undefined, string[]> {
  const groups = new Map<string | undefined, string[]>();
  for (const argument of argumentsList) {
    const { path, cluster } = parseFileArgument(argument);
    let paths = groups.get(cluster);
    if (paths === undefined) groups.set(cluster, (paths = []));
    paths.push(path);
  }
  return groups;
}
