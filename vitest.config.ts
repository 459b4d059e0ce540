import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing outside the process; `integration` gets a real Kafka broker
// (and the Debian kcat/Prometheus/Alertmanager) from test/harness/global-setup.ts, started once per
// run and shared by its files, which run one at a time (one broker, 2 cores).
export default defineConfig({
  test: {
    // The default console output plus a machine-readable report that .ci/run counts.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    projects: [
      // A few unit tests generate or replay whole datasets: a loaded 2-core machine needs more than the default 5 s.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 120_000,
          // beforeAll hooks start Prometheus, Alertmanager and flowhound pipelines.
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
