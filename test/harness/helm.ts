/**
 * The tools that check deploy/helm/flowhound, built or installed once into a cache outside the
 * repository (`${FLOWHOUND_CACHE:-~/.cache/flowhound}`, beside the Kafka jars) and reused after:
 *
 * - Helm, built from source by `go install helm.sh/helm/v3/cmd/helm@<HELM_VERSION>` (Go is on the
 *   machine; the module proxy is the environment's, GOFLAGS gets `-mod=mod`), stamped as the
 *   release Makefile does. No release binary is downloaded: only package registries are
 *   reachable. The first build takes minutes (11 min on 2 busy cores, about 3 on idle ones); it goes into a
 *   sibling dir that is renamed into place, so an interrupted build never looks complete.
 * - kubernetes-validate from PyPI, pip-installed into a virtualenv (`python3 -m venv`); it bundles
 *   the Kubernetes OpenAPI schemas, so it validates core kinds offline. A marker with the pinned
 *   requirements says the venv is complete and current.
 * - promtool, from Debian's `prometheus` package (system-packages.ts installs it).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const HELM_VERSION = 'v3.22.0';
/**
 * What Helm's release Makefile stamps into its binaries with -ldflags: the version, and the
 * Kubernetes version that `helm template`, `install --dry-run` and `lint` assume when not told
 * (from the client-go that the Helm module requires: v0.37.0 in v3.22.0's go.mod, so 1.37). A plain
 * `go install` build says `v3.22` and assumes Kubernetes 1.20.
 */
const HELM_LDFLAGS = [
  '-s', '-w',
  `-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}`,
  '-X helm.sh/helm/v3/internal/version.metadata=',
  ...['pkg/lint/rules', 'pkg/chartutil'].flatMap((pkg) => [`-X helm.sh/helm/v3/${pkg}.k8sVersionMajor=1`, `-X helm.sh/helm/v3/${pkg}.k8sVersionMinor=37`]),
].join(' ');
/** The pinned PyPI requirements of the validation venv. */
export const KUBERNETES_VALIDATE_VERSION = '1.37.0';
export const VENV_REQUIREMENTS = [`kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}`];
/** The Kubernetes version the tests render and validate for (`--kube-version`, kubernetes-validate -k). */
export const KUBE_VERSION = '1.31.0';

function cacheDir(): string {
  return process.env.FLOWHOUND_CACHE || join(homedir(), '.cache', 'flowhound');
}

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    encoding: 'utf8',
    env: options.env ?? process.env,
    cwd: options.cwd,
    input: options.input,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    timeout: options.timeoutMs,
  });
}

function failure(what: string, result: SpawnSyncReturns<string>): Error {
  const how = result.error?.message ?? (result.signal !== null ? `signal ${result.signal}` : `exit ${result.status}`);
  return new Error(`${what} failed (${how}):\n${result.stdout ?? ''}${result.stderr ?? ''}`.trimEnd());
}

/** Moves a finished staging dir into place; if another process got there first, keeps its copy. */
function publish(staging: string, target: string, complete: (dir: string) => boolean): void {
  rmSync(target, { recursive: true, force: true });
  try {
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!complete(target)) throw error;
  }
}

/**
 * Whether `binary` is a working Helm built from the module helm.sh/helm/v3 at HELM_VERSION (and
 * stamped as such): `helm version` says the version, the module information Go embeds says which
 * module it was built from.
 */
function isHelm(binary: string): boolean {
  if (!existsSync(binary)) return false;
  const version = run(binary, ['version', '--template', '{{.Version}}'], { timeoutMs: 30_000 });
  if (version.status !== 0 || version.stdout.trim() !== HELM_VERSION) return false;
  const info = run('go', ['version', '-m', binary], { timeoutMs: 30_000 });
  if (info.error !== undefined) return true; // no Go on PATH: trust what the binary says
  return new RegExp(`^\\s*mod\\s+helm\\.sh/helm/v3\\s+${HELM_VERSION.replace(/\./g, '\\.')}\\s`, 'm').test(info.stdout);
}

/**
 * The path of a Helm `HELM_VERSION` binary: `<cache>/helm-<version>/helm`, built with `go install`
 * when missing. FLOWHOUND_HELM=/path/to/helm uses another binary instead.
 */
export function helmBinary(log: (line: string) => void = () => {}): string {
  const override = process.env.FLOWHOUND_HELM?.trim();
  if (override) return override;
  const dir = join(cacheDir(), `helm-${HELM_VERSION}`);
  const binary = join(dir, 'helm');
  const complete = (d: string) => isHelm(join(d, 'helm'));
  if (complete(dir)) return binary;

  if (run('go', ['version']).status !== 0) throw new Error('go not found on PATH: the Helm chart tests build Helm with `go install` (Go 1.24+)');
  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true });
  log(`building Helm ${HELM_VERSION} with go install into ${dir} (once; a few minutes on 2 cores)`);
  const started = Date.now();
  const goflags = [process.env.GOFLAGS, '-mod=mod'].filter((f) => f !== undefined && f.trim() !== '').join(' ');
  const env = { ...process.env, GOBIN: staging, GOFLAGS: goflags, CGO_ENABLED: '0' };
  const build = run('go', ['install', `-ldflags=${HELM_LDFLAGS}`, `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`], { env, timeoutMs: 30 * 60_000 });
  if (build.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw failure(`go install helm.sh/helm/v3/cmd/helm@${HELM_VERSION} (it needs the Go module proxy)`, build);
  }
  if (!complete(staging)) {
    const said = run(join(staging, 'helm'), ['version', '--short']).stdout?.trim();
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`the Helm that go install built (helm version: ${said || 'nothing'}) is not helm.sh/helm/v3 ${HELM_VERSION}`);
  }
  publish(staging, dir, complete);
  log(`Helm built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return binary;
}

/**
 * The bin dir of a virtualenv (`<cache>/venv-kubernetes-validate-<version>`, one venv per tool as
 * the other tools' caches are) with VENV_REQUIREMENTS installed: created with `python3 -m venv`
 * and pip when missing or when the pins changed.
 */
export function validationVenv(log: (line: string) => void = () => {}): string {
  const venv = join(cacheDir(), `venv-kubernetes-validate-${KUBERNETES_VALIDATE_VERSION}`);
  const bin = join(venv, 'bin');
  const marker = join(venv, '.flowhound-requirements');
  const wanted = VENV_REQUIREMENTS.join('\n') + '\n';
  const current = existsSync(marker) && readFileSync(marker, 'utf8') === wanted && existsSync(join(bin, 'kubernetes-validate'));
  if (current) return bin;

  const started = Date.now();
  if (!existsSync(join(bin, 'python'))) {
    log(`creating a Python virtualenv in ${venv}`);
    const python = process.env.FLOWHOUND_PYTHON || 'python3';
    const made = run(python, ['-m', 'venv', venv], { timeoutMs: 5 * 60_000 });
    if (made.status !== 0) throw failure(`${python} -m venv ${venv} (Debian: apt-get install python3-venv)`, made);
  }
  log(`pip install ${VENV_REQUIREMENTS.join(' ')} into ${venv}`);
  const pip = run(join(bin, 'python'), ['-m', 'pip', 'install', '--quiet', ...VENV_REQUIREMENTS], { timeoutMs: 15 * 60_000 });
  if (pip.status !== 0) throw failure(`pip install ${VENV_REQUIREMENTS.join(' ')} (it needs PyPI)`, pip);
  writeFileSync(marker, wanted);
  log(`venv ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return bin;
}

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `helm ARGS` and returns what it said; never throws on a non-zero exit. */
export function helm(binary: string, args: string[], cwd?: string): ToolResult {
  // Keeps Helm's own config, cache and plugins out of the user's home and away from any kubeconfig.
  const home = join(cacheDir(), `helm-${HELM_VERSION}-home`);
  const env = {
    ...process.env,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
    KUBECONFIG: '/dev/null',
  };
  const result = run(binary, args, { env, cwd, timeoutMs: 120_000 });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a tool and returns what it said; never throws on a non-zero exit. */
export function tool(command: string, args: string[], options: { cwd?: string; input?: string } = {}): ToolResult {
  const result = run(command, args, { ...options, timeoutMs: 120_000 });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
