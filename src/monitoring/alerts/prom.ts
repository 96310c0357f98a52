// Signals computed from the server's own prom-client registry: an error rate from a request counter
// labelled by outcome code, and a latency quantile from a histogram, both over a sliding window of
// counter deltas (like PromQL's rate() and histogram_quantile()), per group of labels.
import type { Registry } from 'prom-client';
import { ModelGateError } from '../../errors.ts';
import type { SampleSource } from './engine.ts';
import { instanceKey, type Labels, type Sample } from './types.ts';

/** Codes of requests refused for the caller's fault: they count as requests, not as errors. */
export const CLIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  'MG_INVALID_REQUEST', 'MG_INVALID_TENSOR', 'MG_INPUT_CONSTRAINT', 'MG_PAYLOAD_TOO_LARGE', 'MG_MODEL_NOT_FOUND',
  'MG_VERSION_NOT_FOUND', 'MG_NOT_FOUND', 'MG_UNAUTHENTICATED', 'MG_FORBIDDEN', 'MG_RATE_LIMITED',
]);

export interface ErrorRateSpec {
  /** A counter with a code label, e.g. modelgate_inference_requests_total. */
  counter: string;
  signal?: string; // default 'error_rate'
  codeLabel?: string; // default 'code'
  /** Default: neither 'OK' nor one of CLIENT_ERROR_CODES. */
  isError?: (code: string) => boolean;
  groupBy?: readonly string[]; // default ['model', 'version']
  /** Fewer requests in the window give no sample: 1 failure of 2 requests is not a 50% error rate. */
  minRequests?: number; // default 10
}

export interface QuantileSpec {
  /** A histogram, e.g. modelgate_inference_duration_seconds. */
  histogram: string;
  signal?: string; // default 'latency_p99_seconds'
  quantile?: number; // default 0.99
  groupBy?: readonly string[]; // default ['model', 'version']
  minCount?: number; // default 10
}

export interface PromSignalsOptions {
  registry: Registry;
  /** Deltas are taken over this window, like rate(x[1m]); default 60 000 ms. */
  windowMs?: number;
  errorRate?: ErrorRateSpec;
  latency?: QuantileSpec;
}

interface Series {
  labels: Labels;
  value: number;
}
interface Snapshot {
  at: number;
  series: Map<string, Series>; // by metric name + labels (le included)
}

interface MetricJson {
  name: string;
  type: string;
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

/** The growth of a counter; a drop means it was reset, and then the new value is the growth. */
export function counterDelta(previous: number, current: number): number {
  return current >= previous ? current - previous : current;
}

/**
 * The q-quantile from cumulative bucket counts (upper bound `le`, +Infinity last), interpolated
 * linearly inside the bucket, as Prometheus' histogram_quantile: in the +Inf bucket it answers the
 * highest finite bound; the first bucket's lower bound is 0. NaN when there are no observations.
 */
export function histogramQuantile(q: number, buckets: readonly { le: number; count: number }[]): number {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.length ? sorted[sorted.length - 1].count : 0;
  if (total <= 0 || sorted[sorted.length - 1].le !== Infinity) return Number.NaN;
  const rank = q * total;
  let i = sorted.findIndex((b) => b.count >= rank);
  if (i < 0) i = sorted.length - 1;
  if (sorted[i].le === Infinity) return sorted.length > 1 ? sorted[sorted.length - 2].le : Number.NaN;
  const lower = i === 0 ? 0 : sorted[i - 1].le;
  const below = i === 0 ? 0 : sorted[i - 1].count;
  const inBucket = sorted[i].count - below;
  if (inBucket <= 0) return sorted[i].le;
  return lower + (sorted[i].le - lower) * ((rank - below) / inBucket);
}

/** A source for AlertEngine: reads the registry at each evaluation and emits the configured signals. */
export function promSignals(options: PromSignalsOptions): SampleSource {
  const windowMs = options.windowMs ?? 60_000;
  const snapshots: Snapshot[] = [];
  return async (now) => {
    const metrics = (await options.registry.getMetricsAsJSON()) as unknown as MetricJson[];
    const current: Snapshot = { at: now, series: new Map() };
    if (options.errorRate) read(metrics, options.errorRate.counter, 'counter', current);
    if (options.latency) read(metrics, options.latency.histogram, 'histogram', current);
    // The base is the newest snapshot at least windowMs old, else the oldest we have.
    let baseIndex = 0;
    for (let i = 0; i < snapshots.length; i++) if (snapshots[i].at <= now - windowMs) baseIndex = i;
    snapshots.splice(0, baseIndex);
    const base = snapshots[0];
    snapshots.push(current);
    if (!base) return [];
    const out: Sample[] = [];
    if (options.errorRate) out.push(...errorRate(options.errorRate, base, current));
    if (options.latency) out.push(...quantile(options.latency, base, current));
    return out;
  };
}

function read(metrics: MetricJson[], name: string, type: string, into: Snapshot): void {
  const metric = metrics.find((m) => m.name === name);
  if (!metric || metric.type !== type) {
    throw new ModelGateError('MG_CONFIG_INVALID', `alert signals: the registry has no ${type} named '${name}'`);
  }
  for (const v of metric.values) {
    if (type === 'histogram' && v.metricName !== `${name}_bucket`) continue;
    const labels: Record<string, string> = {};
    for (const [k, x] of Object.entries(v.labels)) labels[k] = String(x);
    into.series.set(instanceKey(name, labels), { labels, value: v.value });
  }
}

/** Per-series deltas of one metric between two snapshots (a series new since base grew from 0). */
function deltas(metric: string, base: Snapshot, current: Snapshot): Series[] {
  const prefix = `${metric}{`;
  const out: Series[] = [];
  for (const [key, s] of current.series) {
    if (!key.startsWith(prefix)) continue;
    out.push({ labels: s.labels, value: counterDelta(base.series.get(key)?.value ?? 0, s.value) });
  }
  return out;
}

function groupOf(labels: Labels, groupBy: readonly string[]): { key: string; labels: Labels } {
  const picked: Record<string, string> = {};
  for (const g of groupBy) if (labels[g] !== undefined) picked[g] = labels[g];
  return { key: instanceKey('', picked), labels: picked };
}

function errorRate(spec: ErrorRateSpec, base: Snapshot, current: Snapshot): Sample[] {
  const codeLabel = spec.codeLabel ?? 'code';
  const isError = spec.isError ?? ((code: string) => code !== 'OK' && !CLIENT_ERROR_CODES.has(code));
  const groups = new Map<string, { labels: Labels; total: number; errors: number }>();
  for (const d of deltas(spec.counter, base, current)) {
    const g = groupOf(d.labels, spec.groupBy ?? ['model', 'version']);
    const acc = groups.get(g.key) ?? { labels: g.labels, total: 0, errors: 0 };
    acc.total += d.value;
    if (isError(d.labels[codeLabel] ?? '')) acc.errors += d.value;
    groups.set(g.key, acc);
  }
  const signal = spec.signal ?? 'error_rate';
  const min = spec.minRequests ?? 10;
  return [...groups.values()].filter((g) => g.total > 0 && g.total >= min).map((g) => ({ signal, labels: g.labels, value: g.errors / g.total }));
}

function quantile(spec: QuantileSpec, base: Snapshot, current: Snapshot): Sample[] {
  const groups = new Map<string, { labels: Labels; buckets: Map<number, number> }>();
  for (const d of deltas(spec.histogram, base, current)) {
    const { le, ...rest } = d.labels;
    const g = groupOf(rest, spec.groupBy ?? ['model', 'version']);
    const acc = groups.get(g.key) ?? { labels: g.labels, buckets: new Map<number, number>() };
    const bound = le === '+Inf' ? Infinity : Number(le);
    acc.buckets.set(bound, (acc.buckets.get(bound) ?? 0) + d.value);
    groups.set(g.key, acc);
  }
  const signal = spec.signal ?? 'latency_p99_seconds';
  const min = spec.minCount ?? 10;
  const out: Sample[] = [];
  for (const g of groups.values()) {
    const count = g.buckets.get(Infinity) ?? 0;
    if (count <= 0 || count < min) continue;
    const buckets = [...g.buckets].map(([le, c]) => ({ le, count: c }));
    out.push({ signal, labels: g.labels, value: histogramQuantile(spec.quantile ?? 0.99, buckets) });
  }
  return out;
}
