import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';

export interface Service {
  url: string;
  dir: string;
  stop(): Promise<void>;
  output(): string;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Starts a server binary (Prometheus, Alertmanager from Debian) on a free loopback port in a
 * fresh directory and waits until `readyPath` answers 200.
 */
export async function startService(binary: string, args: (dir: string, port: number) => string[], readyPath: string, timeoutMs = 30_000, fixedPort?: number): Promise<Service> {
  const dir = mkdtempSync(join(tmpdir(), `flowhound-${binary}-`));
  // A fixed port: the same service again after an outage, where its clients expect it.
  const port = fixedPort ?? (await freePort());
  let output = '';
  const child = spawn(binary, args(dir, port), { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.stdout!.on('data', (chunk) => { output = (output + chunk).slice(-20_000); });
  child.stderr!.on('data', (chunk) => { output = (output + chunk).slice(-20_000); });
  let exited = false;
  child.once('exit', () => { exited = true; live.delete(child); });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`${binary} exited during start-up:\n${output}`);
    try {
      const response = await fetch(url + readyPath);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${binary} not ready at ${url}${readyPath}:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    dir,
    output: () => output,
    stop: async () => {
      if (!exited) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
