import { execFileSync, spawnSync } from 'node:child_process';

/** Debian packages the integration tests use, and the binaries that tell whether they are there. */
const PACKAGES: { name: string; binaries: string[] }[] = [
  { name: 'kcat', binaries: ['kcat'] },
  { name: 'prometheus', binaries: ['prometheus', 'promtool'] },
  { name: 'prometheus-alertmanager', binaries: ['prometheus-alertmanager', 'amtool'] },
];

export function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Installs what is missing with apt-get (root, Debian), once. Debian's packages would start
 * their services through invoke-rc.d; a policy-rc.d that says "no" keeps them from holding
 * ports: the tests start their own instances.
 */
export function ensureSystemPackages(log: (line: string) => void = () => {}): void {
  for (const tool of ['java', 'mvn']) {
    if (!hasBinary(tool)) throw new Error(`${tool} is required to run the Kafka broker for the integration tests (Java 17 and Maven)`);
  }
  const missing = PACKAGES.filter((p) => p.binaries.some((b) => !hasBinary(b))).map((p) => p.name);
  if (missing.length === 0) return;
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const policy = '/usr/sbin/policy-rc.d';
  execFileSync('sh', ['-c', `[ -e ${policy} ] || { printf '#!/bin/sh\\nexit 101\\n' > ${policy} && chmod +x ${policy} && touch ${policy}.flowhound; }`]);
  try {
    execFileSync('apt-get', ['update', '-qq'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  } finally {
    execFileSync('sh', ['-c', `[ -e ${policy}.flowhound ] && rm -f ${policy} ${policy}.flowhound || true`]);
  }
  const still = PACKAGES.flatMap((p) => p.binaries).filter((b) => !hasBinary(b));
  if (still.length > 0) throw new Error(`after apt-get install, still missing: ${still.join(', ')}`);
}
