import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Debian (bookworm) packages the integration tests use, and the binaries each ships. Debian's
 * prometheus-alertmanager installs /usr/bin/prometheus-alertmanager (not upstream's `alertmanager`)
 * and /usr/bin/amtool; prometheus installs /usr/bin/prometheus and /usr/bin/promtool. A set of
 * names means "any of these" (an upstream install on PATH counts too).
 */
const PACKAGES: { name: string; binaries: string[][] }[] = [
  { name: 'kcat', binaries: [['kcat']] },
  { name: 'prometheus', binaries: [['prometheus'], ['promtool']] },
  { name: 'prometheus-alertmanager', binaries: [['prometheus-alertmanager', 'alertmanager'], ['amtool']] },
];

export function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { stdio: 'ignore' }).status === 0;
}

/** The Alertmanager server binary: Debian's `prometheus-alertmanager`, else upstream's `alertmanager`. */
export function alertmanagerBinary(): string {
  return hasBinary('prometheus-alertmanager') ? 'prometheus-alertmanager' : 'alertmanager';
}

let updated = false;

/**
 * Makes sure kcat, Prometheus (+promtool) and Alertmanager (+amtool) are installed, installing
 * the missing packages with apt-get (the tests run as root on Debian); checks that java and mvn,
 * which the Kafka broker needs, are there. Does nothing when everything is present.
 */
export function ensureSystemPackages(log: (line: string) => void = () => {}): void {
  const tools = ['java', 'mvn'].filter((tool) => !hasBinary(tool));
  if (tools.length > 0) {
    throw new Error(`${tools.join(' and ')} not found on PATH: the integration tests run a Kafka broker from Maven Central jars and need Java 17+ and Maven (Debian: apt-get install openjdk-17-jre-headless maven)`);
  }
  const missing = PACKAGES.filter((p) => p.binaries.some((anyOf) => !anyOf.some(hasBinary))).map((p) => p.name);
  if (missing.length === 0) return;

  if (!hasBinary('apt-get')) throw new Error(`missing ${missing.join(', ')} and no apt-get to install them with`);
  log(`installing Debian packages: ${missing.join(' ')}`);
  const started = Date.now();
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Waits for a concurrent apt/dpkg (another test run, a developer) instead of failing on its lock.
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  // The packages' maintainer scripts start prometheus (:9090) and alertmanager (:9093) through
  // invoke-rc.d where an init system runs. A policy-rc.d answering 101 ("action forbidden") keeps
  // them from holding ports and running beside the tests' own instances. We add it only when
  // there is none and remove only the one we added.
  const policy = '/usr/sbin/policy-rc.d';
  const ours = !existsSync(policy);
  if (ours) writeFileSync(policy, '#!/bin/sh\n# flowhound test harness: no service starts during apt-get install\nexit 101\n', { mode: 0o755 });
  try {
    if (!updated) {
      apt(['update', '-qq', ...lock], env);
      updated = true;
    }
    apt(['install', '-y', '-qq', '--no-install-recommends', ...lock, ...missing], env);
  } finally {
    if (ours) rmSync(policy, { force: true });
  }
  const still = PACKAGES.flatMap((p) => p.binaries).filter((anyOf) => !anyOf.some(hasBinary));
  if (still.length > 0) throw new Error(`after apt-get install, still missing: ${still.map((b) => b.join(' or ')).join(', ')}`);
  log(`installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function apt(args: string[], env: NodeJS.ProcessEnv): void {
  const result = spawnSync('apt-get', args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error !== undefined || result.status !== 0) {
    const hint = process.getuid?.() === 0 ? '' : ' (the integration tests install packages as root)';
    throw new Error(`apt-get ${args.join(' ')} failed${hint}: ${result.error?.message ?? `exit ${result.status}`}\n${result.stdout}${result.stderr}`.trimEnd());
  }
}
