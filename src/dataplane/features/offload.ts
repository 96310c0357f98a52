// Runs the safeguards' text features in a worker thread. On two cores the event loop is the busiest
// thread (docs/benchmarks.md): profiling and hashing a 5 KB email there costs about as much as all
// the HTTP work of the request. Jobs of one event-loop turn go in one message; if the worker dies,
// its jobs are computed inline (same code, same values) and a new worker starts on the next job.
import { Worker } from 'node:worker_threads';
import { ModelGateError } from '../../errors.ts';
import { compactJob, createFeatureComputer, isLinear, type FeatureComputer, type FeatureJob, type FeatureSpec, type Features } from './compute.ts';
import type { FeatureReply, FeatureRequest } from './protocol.ts';

const WORKER_URL = new URL('./worker-entry.mjs', import.meta.url);
/** Specs kept (one per model version seen); the least recently used go first. */
const MAX_SPECS = 256;
/** Workers that died this many times in a row (e.g. cannot start) leave the work inline for a while. */
const MAX_FAILURES = 3;
const INLINE_FOR_MS = 60_000;

interface Pending {
  key: string;
  spec: FeatureSpec;
  job: FeatureJob;
  sentAt: number;
  resolve(f: Features): void;
  reject(err: unknown): void;
}

export interface FeatureOffloadOptions {
  /** Told when the worker fails, stops unasked or stalls; the jobs it held are computed inline
   * (a stalled worker's jobs fail instead: what hung the worker would hang the event loop). */
  onWorkerError?(err: unknown): void;
  /** A worker that holds a job this long without answering is stopped (default 30 s). */
  stallMs?: number;
}

/** How many jobs each path computed: the worker should do nearly all of them. */
export interface OffloadCounts {
  worker: number;
  inline: number;
  failed: number;
  workerStarts: number;
}

export class FeatureOffload {
  private worker: Worker | undefined;
  /** Spec keys the current worker holds. */
  private registered = new Set<string>();
  private readonly specs = new Map<string, FeatureSpec>();
  private readonly inline = new Map<string, FeatureComputer>();
  private readonly pending = new Map<number, Pending>();
  private batch: { id: number; key: string; job: FeatureJob }[] = [];
  private nextId = 1;
  private closed = false;
  private failures = 0;
  private inlineUntil = 0;
  private readonly stallMs: number;
  /** When the current worker said it was ready; undefined while it starts. */
  private readyAt: number | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  readonly counts: OffloadCounts = { worker: 0, inline: 0, failed: 0, workerStarts: 0 };

  constructor(private readonly options: FeatureOffloadOptions = {}) {
    this.stallMs = options.stallMs ?? 30_000;
  }

  /**
   * The features of one request; `key` names `spec` (one key per model version, see featureKey).
   * Rejects only when the computation itself fails (or the worker stalled on it).
   */
  compute(key: string, spec: FeatureSpec, job: FeatureJob): Promise<Features> {
    this.remember(key, spec);
    if (this.closed || Date.now() < this.inlineUntil) return this.settle(key, spec, job);
    const worker = this.worker ?? this.start();
    if (!this.registered.has(key)) {
      worker.postMessage({ type: 'spec', key, spec } satisfies FeatureRequest);
      this.registered.add(key);
    }
    const id = this.nextId++;
    if (this.batch.length === 0) setImmediate(() => this.flush());
    this.batch.push({ id, key, job: compactJob(job) });
    return new Promise<Features>((resolve, reject) => this.pending.set(id, { key, spec, job, sentAt: Date.now(), resolve, reject }));
  }

  /** Stops the worker; jobs still out are computed inline, later ones too. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    const worker = this.worker;
    this.worker = undefined;
    this.settleAllInline();
    await worker?.terminate();
  }

  private remember(key: string, spec: FeatureSpec): void {
    // Re-inserting keeps the map in least-recently-used order.
    this.specs.delete(key);
    this.specs.set(key, spec);
    if (this.specs.size > MAX_SPECS) this.forget(this.specs.keys().next().value!);
  }

  private start(): Worker {
    const worker = new Worker(WORKER_URL);
    worker.unref();
    this.worker = worker;
    this.registered = new Set();
    this.counts.workerStarts++;
    this.watchdog ??= setInterval(() => this.checkStall(), Math.max(100, Math.min(this.stallMs, 5_000))).unref();
    this.readyAt = undefined;
    worker.on('message', (msg: FeatureReply) => {
      this.failures = 0;
      if (msg.type === 'ready') {
        this.readyAt = Date.now();
        return;
      }
      for (const r of msg.results) {
        const p = this.pending.get(r.id);
        if (!p) continue;
        this.pending.delete(r.id);
        if ('features' in r) {
          this.counts.worker++;
          p.resolve(r.features);
        } else {
          // The worker lost the spec (or the job failed there): the same code answers here.
          this.registered.delete(p.key);
          this.settle(p.key, p.spec, p.job).then(p.resolve, p.reject);
        }
      }
    });
    let failure: unknown;
    worker.on('error', (err) => (failure = err)); // reported once, with the exit below
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      if (!this.closed) {
        this.options.onWorkerError?.(failure ?? new Error(`the feature worker stopped (exit code ${code})`));
        if (++this.failures >= MAX_FAILURES) this.inlineUntil = Date.now() + INLINE_FOR_MS;
      }
      this.settleAllInline();
    });
    return worker;
  }

  private flush(): void {
    const jobs = this.batch;
    this.batch = [];
    if (jobs.length === 0) return;
    if (!this.worker) return this.settleAllInline();
    // A lone job with nothing else out (a quiet server) is done here: waking the worker and being
    // woken by its answer costs more than the work (docs/benchmarks.md), and the loop is idle while
    // the model runs. Only for linear-time specs: a job that could hang stays off the event loop.
    const only = jobs.length === 1 && this.pending.size === 1 ? this.pending.get(jobs[0].id) : undefined;
    if (only && this.linear(only.spec)) {
      this.pending.delete(jobs[0].id);
      this.settle(only.key, only.spec, only.job).then(only.resolve, only.reject);
      return;
    }
    this.worker.postMessage({ type: 'jobs', jobs } satisfies FeatureRequest);
  }

  private readonly linearSpecs = new WeakMap<FeatureSpec, boolean>();

  private linear(spec: FeatureSpec): boolean {
    let v = this.linearSpecs.get(spec);
    if (v === undefined) this.linearSpecs.set(spec, (v = isLinear(spec)));
    return v;
  }

  /** A worker that sits on a job far longer than any job takes is stopped; its jobs fail. */
  private checkStall(): void {
    const worker = this.worker;
    const readyAt = this.readyAt;
    if (!worker || readyAt === undefined) return; // still starting: not a stall
    const now = Date.now();
    const stalled = [...this.pending.values()].some((p) => now - Math.max(p.sentAt, readyAt) > this.stallMs);
    if (!stalled) return;
    this.worker = undefined;
    this.options.onWorkerError?.(new Error(`the feature worker held a job for more than ${this.stallMs} ms and was stopped`));
    const lost = [...this.pending.values()];
    this.pending.clear();
    this.batch = [];
    for (const p of lost) {
      this.counts.failed++;
      p.reject(new ModelGateError('MG_INTERNAL', 'the input features could not be computed in time'));
    }
    void worker.terminate();
  }

  private settleAllInline(): void {
    this.batch = [];
    const lost = [...this.pending.values()];
    this.pending.clear();
    for (const p of lost) this.settle(p.key, p.spec, p.job).then(p.resolve, p.reject);
  }

  /** Computes on this thread; a throwing computation rejects its own request and nothing else. */
  private settle(key: string, spec: FeatureSpec, job: FeatureJob): Promise<Features> {
    try {
      let compute = this.inline.get(key);
      if (!compute) {
        compute = createFeatureComputer(spec);
        this.inline.set(key, compute);
      }
      const features = compute(job);
      this.counts.inline++;
      return Promise.resolve(features);
    } catch (err) {
      this.counts.failed++;
      return Promise.reject(err);
    }
  }

  private forget(key: string): void {
    this.specs.delete(key);
    this.inline.delete(key);
    if (this.registered.delete(key)) this.worker?.postMessage({ type: 'forget', key } satisfies FeatureRequest);
  }
}

let keys = 0;
/** A key for FeatureOffload.compute, unique in the process (one per model version's monitor). */
export function featureKey(): string {
  return `features-${++keys}`;
}
