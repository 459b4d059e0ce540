import type { Random } from './random.ts';
import type { SimCluster } from './topology.ts';
import type { SimWindow } from './traffic.ts';

/** Generator options every world reads (parsed by main.ts). */
export interface WorldOptions {
  seed: number;
  hours: number;
  startMs: number;
  /** --start as given (written to the manifest). */
  start: string;
  scale: number;
  attackScale: number;
  /** `all`, `none` or comma-separated scenario names. */
  attacks: string;
}

/** One output file: a cluster's Calico flows or DNS, or its Hubble events. */
export interface WorldFile {
  /** File name without `.gz`. */
  name: string;
  cluster: SimCluster;
  kind: 'calico-flows' | 'calico-dns' | 'hubble-flows';
  /** Cluster name given to the Arrow conversion for records that carry none. */
  replayCluster: string;
}

/** One labels.jsonl line. */
export interface LabelLine {
  scenario: string;
  category: 'lateral-movement' | 'discovery' | 'exfiltration' | 'command-and-control' | 'credential-access' | 'policy-violation' | 'impact';
  technique: string;
  cluster: string;
  namespace: string;
  workload: string;
  start: string;
  end: string;
  description: string;
}

/**
 * A simulated platform: its clusters and output files, the traffic of each 5-minute window
 * (benign and attacks), and the labels of its attacks. main.ts writes every world the same way.
 */
export interface World {
  clusters: SimCluster[];
  files: WorldFile[];
  /** The PRNG the Hubble writer draws ports, times and UUIDs from. */
  writerRandom: Random;
  /** Hubble events written per connection aggregate and per DNS lookup aggregate. */
  hubbleMaxEvents?: { flows: number; dns: number };
  /** Fills `w` with everything that happens in the window starting at `window` (ms). */
  step(window: number, w: SimWindow): void;
  labels(): LabelLine[];
  /** manifest.json, given the record count of each file (by WorldFile.name). */
  manifest(records: Map<string, number>, labels: number, gzip: boolean): unknown;
}
