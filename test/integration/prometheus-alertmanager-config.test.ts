/** The shipped Prometheus and Alertmanager files, checked by the real tools. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function run(binary: string, args: string[]): string {
  return execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: 'deploy' });
}

describe('deploy/ configuration', () => {
  it('promtool accepts the rules and their unit tests pass', () => {
    expect(run('promtool', ['check', 'rules', 'prometheus/flowhound.rules.yml'])).toMatch(/SUCCESS: 14 rules found/);
    expect(run('promtool', ['test', 'rules', 'prometheus/flowhound.rules.test.yml'])).toMatch(/SUCCESS/);
  });

  it('promtool accepts the scrape configuration', () => {
    expect(run('promtool', ['check', 'config', '--syntax-only', 'prometheus/prometheus.yml'])).toMatch(/SUCCESS/);
  });

  it('amtool accepts the example routing tree', () => {
    expect(run('amtool', ['check-config', 'alertmanager/alertmanager.yml'])).toMatch(/SUCCESS[\s\S]*2 inhibit rules[\s\S]*3 receivers/);
  });
});
