import { metrics, type Meter } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Probes } from './probes.ts';

export interface TelemetryOptions {
  /** Serve Prometheus' text format at http://host:port/metrics. */
  host: string;
  port: number;
}

export interface Telemetry {
  meter: Meter;
  /** The /metrics address actually bound (port 0 picks a free one). */
  url: string;
  /** `http://host:port`, the address of /metrics and of the probes. */
  baseUrl: string;
  /** Also serve /healthz and /readyz (see Probes) on the metrics port. */
  serveProbes(probes: Probes): void;
  /** Closes the HTTP server (and its keep-alive connections) and shuts the SDK down. */
  shutdown(): Promise<void>;
}

/**
 * The OpenTelemetry SDK with the Prometheus exporter. Traces (pipeline stage spans) and OTel
 * logs are exported only when the standard OTEL_TRACES_EXPORTER / OTEL_LOGS_EXPORTER (or an
 * OTLP endpoint variable) ask for it; by default nothing but /metrics leaves the process.
 *
 * The HTTP server is ours, not the exporter's (which serves nothing but its endpoint): /metrics
 * is delegated to the exporter's request handler, /healthz and /readyz go to the Probes, so that
 * Kubernetes probes and Prometheus scrapes share one port.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  // The exporter's port only builds its (unused) base URL; our server binds the real one.
  const exporter = new PrometheusExporter({ host: options.host, port: options.port, endpoint: '/metrics', withoutScopeInfo: true, preventServerStart: true });
  let probes: Probes | undefined;
  const server = createServer((request, response) => route(request, response, exporter, probes));
  // As the exporter's own server was: serving metrics alone never keeps the process alive.
  server.unref();
  const port = await listen(server, options.host, options.port);

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
  const baseUrl = `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    meter: metrics.getMeter('flowhound'),
    url: `${baseUrl}/metrics`,
    baseUrl,
    serveProbes: (p) => { probes = p; },
    shutdown: () => (closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // close() alone waits for idle keep-alive connections (a scraper's) to time out.
      server.closeAllConnections();
      await closed;
      await sdk.shutdown();
    })()),
  };
}

function route(request: IncomingMessage, response: ServerResponse, exporter: PrometheusExporter, probes: Probes | undefined): void {
  let pathname: string;
  try {
    pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
  } catch {
    response.writeHead(400).end('bad request\n');
    return;
  }
  if (pathname === '/metrics') exporter.getMetricsRequestHandler(request, response);
  else if (probes === undefined || !probes.handle(pathname, request, response)) response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
}

/** Listens on host:port (0 = a free port, bound here, so no other process can take it in between). */
function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      if (typeof address === 'object' && address !== null) resolve(address.port);
      else reject(new Error('the metrics server has no TCP address'));
    });
  });
}
