// Runs the safeguards' text features in a worker thread. On two cores the event loop is the busiest
// thread (docs/benchmarks.md): profiling and hashing a 5 KB email there costs about as much as all
// the HTTP work of the request. Jobs of one event-loop turn go in one message; if the worker fails,
// its jobs are computed inline (same code, same values) and a new worker starts on the next job.
import { Worker } from 'node:worker_threads';
import { createFeatureComputer, type FeatureComputer, type FeatureJob, type FeatureSpec, type Features } from './compute.ts';
import type { FeatureReply, FeatureRequest } from './protocol.ts';

const WORKER_URL = new URL('./worker-entry.mjs', import.meta.url);
const MAX_SPECS = 256;

interface Pending {
  key: string;
  job: FeatureJob;
  resolve(f: Features): void;
}

export interface FeatureOffloadOptions {
  /** Told when the worker fails or stops; the jobs it held are computed inline. */
  onWorkerError?(err: unknown): void;
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

  constructor(private readonly options: FeatureOffloadOptions = {}) {}

  /** The features of one request; `key` names `spec` (one per model version). Never rejects. */
  compute(key: string, spec: FeatureSpec, job: FeatureJob): Promise<Features> {
    if (!this.specs.has(key)) {
      // One key per loaded model version; forget the oldest beyond a bound (reloads make new keys).
      if (this.specs.size >= MAX_SPECS) this.forget(this.specs.keys().next().value!);
      this.specs.set(key, spec);
    }
    if (this.closed) return Promise.resolve(this.computeInline(key, job));
    const worker = this.worker ?? this.start();
    if (!this.registered.has(key)) {
      worker.postMessage({ type: 'spec', key, spec } satisfies FeatureRequest);
      this.registered.add(key);
    }
    const id = this.nextId++;
    if (this.batch.length === 0) setImmediate(() => this.flush());
    this.batch.push({ id, key, job });
    return new Promise<Features>((resolve) => this.pending.set(id, { key, job, resolve }));
  }

  /** Stops the worker; jobs still out are computed inline, later ones too. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.settleInline();
    await worker?.terminate();
  }

  private start(): Worker {
    const worker = new Worker(WORKER_URL);
    worker.unref();
    this.worker = worker;
    this.registered = new Set();
    worker.on('message', (msg: FeatureReply) => {
      for (const r of msg.results) {
        const p = this.pending.get(r.id);
        if (!p) continue;
        this.pending.delete(r.id);
        if ('features' in r) p.resolve(r.features);
        else {
          // The worker lost the spec (or the job failed there): the same code answers here.
          this.registered.delete(p.key);
          p.resolve(this.computeInline(p.key, p.job));
        }
      }
    });
    worker.on('error', (err) => this.options.onWorkerError?.(err));
    worker.on('exit', () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.settleInline();
    });
    return worker;
  }

  private flush(): void {
    const jobs = this.batch;
    this.batch = [];
    if (jobs.length === 0) return;
    if (!this.worker) return this.settleInline();
    this.worker.postMessage({ type: 'jobs', jobs } satisfies FeatureRequest);
  }

  private settleInline(): void {
    this.batch = [];
    const lost = [...this.pending.values()];
    this.pending.clear();
    for (const p of lost) p.resolve(this.computeInline(p.key, p.job));
  }

  private forget(key: string): void {
    this.specs.delete(key);
    this.inline.delete(key);
    if (this.registered.delete(key)) this.worker?.postMessage({ type: 'forget', key } satisfies FeatureRequest);
  }

  private computeInline(key: string, job: FeatureJob): Features {
    let compute = this.inline.get(key);
    if (!compute) {
      compute = createFeatureComputer(this.specs.get(key) ?? {});
      this.inline.set(key, compute);
    }
    return compute(job);
  }
}
