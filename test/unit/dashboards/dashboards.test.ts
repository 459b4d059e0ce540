import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DASHBOARDS, dashboardJson } from '../../../dashboards/build-dashboards.ts';

/** Every Grafana variable a dashboard defines, plus Grafana's built-ins. */
const BUILT_INS = ['__rate_interval', '__range', '__interval'];

describe('Grafana dashboards', () => {
  it.each(Object.keys(DASHBOARDS))('%s is committed as built (npm run dashboards)', (file) => {
    expect(readFileSync(`dashboards/${file}`, 'utf8')).toBe(dashboardJson(DASHBOARDS[file]!));
  });

  it('have unique uids and titles', () => {
    const all = Object.values(DASHBOARDS);
    expect(new Set(all.map((d) => d.uid)).size).toBe(all.length);
    expect(new Set(all.map((d) => d.title)).size).toBe(all.length);
  });

  it.each(Object.entries(DASHBOARDS))('%s: unique panel ids, panels on the 24-column grid, queries through the datasource variable', (_file, dashboard) => {
    const panels = dashboard.panels ?? [];
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const variables = new Set([...(dashboard.templating?.list ?? []).map((v) => v.name), ...BUILT_INS]);
    expect(variables.has('datasource')).toBe(true);
    for (const panel of panels) {
      const grid = panel.gridPos!;
      expect(grid.x + grid.w, panel.title).toBeLessThanOrEqual(24);
      if (panel.type === 'row') continue;
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      const targets = (panel as { targets?: { expr?: string; refId?: string }[] }).targets ?? [];
      expect(targets.length, panel.title).toBeGreaterThan(0);
      for (const target of targets) {
        expect(target.expr, panel.title).toMatch(/flowhound_/);
        for (const [, name] of target.expr!.matchAll(/\$(\w+)/g)) expect(variables.has(name!), `${panel.title}: $${name}`).toBe(true);
      }
    }
  });

  it('provisioning points Grafana at the dashboards folder and a Prometheus datasource', () => {
    expect(readFileSync('dashboards/provisioning/dashboards/flowhound.yaml', 'utf8')).toMatch(/type: file[\s\S]*path: \/var\/lib\/grafana\/dashboards\/flowhound/);
    expect(readFileSync('dashboards/provisioning/datasources/prometheus.yaml', 'utf8')).toMatch(/type: prometheus/);
  });
});
