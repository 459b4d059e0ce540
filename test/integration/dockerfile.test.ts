/**
 * The container image's Dockerfile, checked without building it (no image registry is reachable
 * here, so neither base image can be pulled): hadolint finds nothing, not even a style note, and
 * the Dockerfile says what the deployment relies on (Node 24 to build and to run, a distroless
 * non-root runtime, node itself as the entry point on a file that exists, a read-only root).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hadolintBinary } from '../harness/hadolint.ts';

const DOCKERFILE = 'Dockerfile';
let hadolint = '';

interface Finding { code: string; level: string; line: number; message: string }

function lint(file: string): { status: number | null; findings: Finding[]; stderr: string } {
  // JSON output lists every finding at every level (error, warning, info, style).
  const result = spawnSync(hadolint, ['--no-color', '--format', 'json', '--failure-threshold', 'style', file], { encoding: 'utf8' });
  return { status: result.status, findings: result.stdout.trim() === '' ? [] : (JSON.parse(result.stdout) as Finding[]), stderr: result.stderr };
}

/** The Dockerfile's instructions (continuation lines joined, comments dropped), per stage. */
function stages(text: string): { from: string; instructions: { keyword: string; args: string }[] }[] {
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const out: { from: string; instructions: { keyword: string; args: string }[] }[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') out.push({ from: args, instructions: [] });
    out.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
  }
  return out;
}

describe('Dockerfile', () => {
  beforeAll(() => {
    hadolint = hadolintBinary((line) => process.stderr.write(`[hadolint] ${line}\n`));
  }, 600_000);

  it('passes hadolint with no finding at any level', () => {
    const { status, findings, stderr } = lint(DOCKERFILE);
    expect(findings, JSON.stringify(findings, null, 2)).toEqual([]);
    expect(status, stderr).toBe(0);
  });

  it('the linter is live: a Dockerfile with known faults is flagged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowhound-hadolint-'));
    try {
      const bad = join(dir, 'Dockerfile');
      writeFileSync(bad, 'FROM node:latest\nRUN cd /app && npm install left-pad\nUSER root\nCMD node index.js\n');
      const { status, findings } = lint(bad);
      expect(status).not.toBe(0);
      // DL3007 latest tag, DL3003 cd, DL3016 unpinned npm install, DL3002 root user, DL3066 non-numeric user, DL3025 shell-form CMD
      expect(new Set(findings.map((f) => f.code))).toEqual(new Set(['DL3007', 'DL3003', 'DL3016', 'DL3002', 'DL3066', 'DL3025']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds on Node 24 slim and runs on distroless Node 24 as a non-root user', () => {
    const text = readFileSync(DOCKERFILE, 'utf8');
    const [build, runtime, ...more] = stages(text);
    expect(more).toEqual([]);
    expect(build!.from).toMatch(/^node:24(\.\d+)*-[a-z]+-slim AS build$/);
    expect(runtime!.from).toMatch(/^gcr\.io\/distroless\/nodejs24-debian\d+:nonroot$/);

    const instructions = runtime!.instructions;
    const users = instructions.filter((i) => i.keyword === 'USER').map((i) => i.args);
    // Numeric, so that Kubernetes can check runAsNonRoot; 65532 is distroless' "nonroot".
    expect(users.at(-1)).toBe('65532:65532');
    const entrypoint = JSON.parse(instructions.find((i) => i.keyword === 'ENTRYPOINT')!.args) as string[];
    const cmd = JSON.parse(instructions.find((i) => i.keyword === 'CMD')!.args) as string[];
    expect(entrypoint).toEqual(['/nodejs/bin/node', 'bin/flowhound.js']);
    expect(cmd).toEqual(['run', '--pipeline', '/etc/flowhound/pipeline.yaml']);
    expect(instructions.find((i) => i.keyword === 'WORKDIR')?.args).toBe('/app');
    // No RUN in the runtime stage (distroless has no shell), so nothing there writes to the root.
    expect(instructions.filter((i) => i.keyword === 'RUN')).toEqual([]);
  });

  it('installs production dependencies with the patches in place, and copies everything the entry point needs', () => {
    const [build] = stages(readFileSync(DOCKERFILE, 'utf8'));
    const steps = build!.instructions.map((i) => `${i.keyword} ${i.args}`);
    const at = (prefix: string) => steps.findIndex((s) => s.startsWith(prefix));
    const install = steps.findIndex((s) => /^RUN npm ci --omit=dev\b/.test(s));
    expect(install).toBeGreaterThan(0);
    // The lockfile and patches before npm ci (postinstall runs patch-package), the sources after it.
    expect(at('COPY package.json package-lock.json')).toBeLessThan(install);
    expect(at('COPY patches/')).toBeLessThan(install);
    for (const dir of ['bin/', 'src/', 'pipelines/', 'dashboards/']) expect(at(`COPY ${dir} ${dir}`), dir).toBeGreaterThan(install);
    // What the image runs exists here, and the patches it applies match the pinned dependency.
    expect(existsSync('bin/flowhound.js')).toBe(true);
    expect(existsSync('src/cli/main.ts')).toBe(true);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.scripts.postinstall).toBe('patch-package');
    expect(pkg.dependencies['patch-package'], 'patch-package must be a runtime dependency: npm ci --omit=dev runs the postinstall').toBeDefined();
    expect(pkg.devDependencies.node).toMatch(/^24\./);
    expect(readFileSync('bin/flowhound.js', 'utf8')).toContain("import('../src/cli/main.ts')");
  });

  it('.dockerignore lets in only what the Dockerfile copies', () => {
    const lines = readFileSync('.dockerignore', 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines[0]).toBe('*');
    const allowed = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, '')).sort();
    const copied = stages(readFileSync(DOCKERFILE, 'utf8'))[0]!.instructions.filter((i) => i.keyword === 'COPY').flatMap((i) => i.args.split(/\s+/).slice(0, -1)).map((p) => p.replace(/\/$/, '')).sort();
    expect(allowed).toEqual(copied);
    expect(lines).toContain('**/node_modules');
  });
});
