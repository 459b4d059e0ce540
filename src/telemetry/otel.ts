import { metrics, type Meter } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { createServer } from 'node:net';

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

export interface TelemetryOptions {
  /** Serve Prometheus' text format at http://host:port/metrics. */
  host: string;
  port: number;
}

export interface Telemetry {
  meter: Meter;
  /** The address actually bound (port 0 picks a free one). */
  url: string;
  shutdown(): Promise<void>;
}

/**
 * The OpenTelemetry SDK with the Prometheus exporter. Traces (pipeline stage spans) and OTel
 * logs are exported only when the standard OTEL_TRACES_EXPORTER / OTEL_LOGS_EXPORTER (or an
 * OTLP endpoint variable) ask for it; by default nothing but /metrics leaves the process.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const port = options.port === 0 ? await freePort(options.host) : options.port;
  const exporter = new PrometheusExporter({ host: options.host, port, endpoint: '/metrics', withoutScopeInfo: true, preventServerStart: true });
  const env = process.env;
  const wantsTraces = env.OTEL_TRACES_EXPORTER !== undefined || env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined;
  const wantsLogs = env.OTEL_LOGS_EXPORTER !== undefined;
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? 'flowhound',
    metricReaders: [exporter],
    ...(wantsTraces ? {} : { spanProcessors: [] }),
    ...(wantsLogs ? {} : { logRecordProcessors: [] }),
    instrumentations: [],
  });
  sdk.start();
  await exporter.startServer();
  return {
    meter: metrics.getMeter('flowhound'),
    url: `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}/metrics`,
    shutdown: async () => {
      await exporter.stopServer();
      await sdk.shutdown();
    },
  };
}
