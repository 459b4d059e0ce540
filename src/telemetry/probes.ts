import type { IncomingMessage, ServerResponse } from 'node:http';

/** A probe's verdict: `ok` answers 200, otherwise 503; `reason` is the plain-text body. */
export interface ProbeAnswer {
  ok: boolean;
  reason: string;
}

/** The probe paths, served beside /metrics on the same host:port. */
export const PROBE_PATHS = { liveness: '/healthz', readiness: '/readyz' } as const;

/**
 * Kubernetes' liveness and readiness probes for `flowhound run`:
 *
 *   GET /healthz  200 while the event loop turns (it answers at all) and the pipeline has not failed
 *   GET /readyz   200 only while the pipeline's `ready()` says so and no stop has begun; 503 otherwise
 *
 * The HTTP server starts before the pipeline is built (a taken port must fail early), so the
 * pipeline's readiness is handed over later with `watch()`; until then the pod is not ready.
 */
export class Probes {
  private readyCheck: (() => boolean) | undefined;
  private failure: string | undefined;
  private stopReason: string | undefined;

  /** Readiness from now on follows `ready` (the pipeline's `ready()`). */
  watch(ready: () => boolean): void {
    this.readyCheck = ready;
  }

  /** The pipeline failed: liveness fails from now on, so that Kubernetes restarts the pod. */
  fail(reason: string): void {
    this.failure ??= reason;
  }

  /**
   * A stop began (a signal): the pod is no longer ready. Liveness stays ok, so that a slow but
   * bounded shutdown is not cut short by a liveness restart.
   */
  stopping(reason: string): void {
    this.stopReason ??= reason;
  }

  liveness(): ProbeAnswer {
    // An event loop that is stuck cannot run this: kubelet's probe times out, which is the point.
    if (this.failure !== undefined) return { ok: false, reason: `pipeline failed: ${this.failure}` };
    return { ok: true, reason: 'ok' };
  }

  readiness(): ProbeAnswer {
    if (this.failure !== undefined) return { ok: false, reason: `pipeline failed: ${this.failure}` };
    if (this.stopReason !== undefined) return { ok: false, reason: `stopping: ${this.stopReason}` };
    if (this.readyCheck === undefined) return { ok: false, reason: 'starting: the pipeline is not built yet' };
    let ready: boolean;
    try {
      ready = this.readyCheck();
    } catch (error) {
      return { ok: false, reason: `readiness check failed: ${(error as Error).message}` };
    }
    return ready ? { ok: true, reason: 'ready' } : { ok: false, reason: 'not ready: the sources are not consuming yet' };
  }

  /**
   * Answers GET and HEAD of /healthz and /readyz. Returns false for any other path, which the
   * caller serves (or 404s); `pathname` is the request's path without its query string.
   */
  handle(pathname: string, request: IncomingMessage, response: ServerResponse): boolean {
    const probe = pathname === PROBE_PATHS.liveness ? this.liveness() : pathname === PROBE_PATHS.readiness ? this.readiness() : undefined;
    if (probe === undefined) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return true;
    }
    const body = probe.reason + '\n';
    // Probes must never be answered from a cache.
    response.writeHead(probe.ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    response.end(request.method === 'HEAD' ? undefined : body);
    return true;
  }
}
