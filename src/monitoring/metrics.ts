// Prometheus metrics of the serving path, on a registry of our own (no global state). Labels are
// bounded: model and version come from the loaded set, code from the error catalog.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BatchObserver } from '../batching/index.ts';
import type { InferenceObserver } from '../dataplane/index.ts';
import type { ModelSet } from '../registry/index.ts';
import { createSafeguardMetrics, type SafeguardMetrics } from './safeguard-metrics.ts';
import type { VersionMonitors } from './version-monitors.ts';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

export interface Metrics {
  registry: Registry;
  safeguards: SafeguardMetrics;
  inference: InferenceObserver;
  batchObserver(model: string, version: string): BatchObserver;
  /** Counts a refused request under the model and version it named, when they are loaded here. */
  rejected(plane: 'inference' | 'admin', reason: string, model?: string, version?: string): void;
  /** Where the gauge of a plane's requests in flight reads from. */
  inFlightFrom(plane: 'inference' | 'admin', read: () => number): void;
  /** One answered HTTP request: `route` is the route's pattern (never the URL), '' when none matched. */
  httpAnswered(plane: 'inference' | 'admin', method: string, route: string, status: number, seconds: number): void;
}

/** What the metrics read of the audit writer (AuditLog.stats()). */
export interface AuditCounts {
  appended: number;
  failedFlushes: number;
}

export function createMetrics(models: ModelSet, monitors?: () => VersionMonitors | undefined, audit?: () => AuditCounts | undefined): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'modelgate_' });
  // The writer keeps monotonic counts; each scrape copies them (a counter reset then raised to the count).
  const auditCounter = (name: string, help: string, read: (c: AuditCounts) => number) =>
    new Counter({
      name, help, registers: [registry],
      collect() {
        const counts = audit?.();
        this.reset();
        if (counts) this.inc(read(counts));
      },
    });
  auditCounter('modelgate_audit_records_total', 'Audit records this process committed', (c) => c.appended);
  auditCounter(
    'modelgate_audit_write_failures_total',
    'Audit batches this process could not commit; their requests were refused (503 or 500), not answered',
    (c) => c.failedFlushes,
  );
  const requests = new Counter({
    name: 'modelgate_inference_requests_total',
    help: 'Inference requests that reached a model, by outcome code (OK or an MG_ error code)',
    labelNames: ['model', 'version', 'code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'modelgate_inference_duration_seconds',
    help: 'Time from validation to answer of inference requests, queue wait included',
    labelNames: ['model', 'version'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'modelgate_batch_size',
    help: 'Rows merged into one engine call',
    labelNames: ['model', 'version'],
    buckets: BATCH_BUCKETS,
    registers: [registry],
  });
  const batchRequests = new Histogram({
    name: 'modelgate_batch_requests',
    help: 'Requests merged into one engine call',
    labelNames: ['model', 'version'],
    buckets: BATCH_BUCKETS,
    registers: [registry],
  });
  const queueWait = new Histogram({
    name: 'modelgate_queue_wait_seconds',
    help: 'Time a request waited in the batching queue',
    labelNames: ['model', 'version'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'modelgate_queue_depth',
    help: 'Requests waiting in the batching queue',
    labelNames: ['model', 'version'],
    registers: [registry],
    collect() {
      this.reset();
      for (const v of models.all()) this.set({ model: v.name, version: v.version }, v.batcher.queueDepth);
    },
  });
  const engine = new Histogram({
    name: 'modelgate_engine_duration_seconds',
    help: 'Time of one engine call (one batch): in the engine worker and back, or on the server thread for a lone request',
    labelNames: ['model', 'version'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const inline = new Counter({
    name: 'modelgate_engine_inline_runs_total',
    help: 'Engine calls of a lone request run on the server thread instead of the engine worker (runtime.loneInlineMs)',
    labelNames: ['model', 'version'],
    registers: [registry],
  });
  new Gauge({
    name: 'modelgate_inflight_batches',
    help: 'Engine calls running now',
    labelNames: ['model', 'version'],
    registers: [registry],
    collect() {
      this.reset();
      for (const v of models.all()) this.set({ model: v.name, version: v.version }, v.batcher.busy);
    },
  });
  const inFlight = new Map<string, () => number>();
  new Gauge({
    name: 'modelgate_inflight_requests',
    help: 'Requests being handled now (authenticated or not yet), per plane: what maxInFlight bounds',
    labelNames: ['plane'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [plane, read] of inFlight) this.set({ plane }, read());
    },
  });
  // Every answer of both planes, as the client's HTTP library sees it minus the network: body reading,
  // authentication and refusals included, which the inference histogram above does not cover.
  const httpRequests = new Counter({
    name: 'modelgate_http_requests_total',
    help: 'HTTP requests answered, by plane, method, route pattern and status code',
    labelNames: ['plane', 'method', 'route', 'status'],
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'modelgate_http_request_duration_seconds',
    help: 'Time from routing a request to sending its answer (body read, checks, inference, audit), by plane and route pattern',
    labelNames: ['plane', 'route'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const safeguards = createSafeguardMetrics(registry, monitors ?? (() => undefined));
  return {
    registry,
    safeguards,
    inference: {
      onInference(o) {
        requests.inc({ model: o.model, version: o.version, code: o.code });
        duration.observe({ model: o.model, version: o.version }, o.seconds);
      },
    },
    inFlightFrom(plane, read) {
      inFlight.set(plane, read);
    },
    httpAnswered(plane, method, route, status, seconds) {
      httpRequests.inc({ plane, method, route, status: String(status) });
      httpDuration.observe({ plane, route }, seconds);
    },
    rejected(plane, reason, model, version) {
      const loaded = model !== undefined && models.has(model);
      safeguards.rejected(plane, reason, loaded ? model : '', loaded && version !== undefined && models.isLoaded(model, version) ? version : '');
    },
    batchObserver(model, version) {
      const labels = { model, version };
      return {
        onBatch(rows, count, waits) {
          batchSize.observe(labels, rows);
          batchRequests.observe(labels, count);
          for (const w of waits) queueWait.observe(labels, w / 1000);
        },
        onBatchDone(ms) {
          engine.observe(labels, ms / 1000);
        },
        onInline() {
          inline.inc(labels);
        },
      };
    },
  };
}
