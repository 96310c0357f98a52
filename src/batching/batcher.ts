// The dynamic batcher of one model version: a bounded queue, a delay timer and a cap on engine calls
// in flight. A batch forms when an engine slot is free and either it is full or its oldest request has
// waited maxQueueDelayMs (Triton's semantics). A failed batch fails every caller in it.
import { errors, ModelGateError } from '../errors.ts';
import type { Tensor } from '../protocol/index.ts';
import { batchKey, mergeInputs, rowsOf, splitOutputs } from './merge.ts';

export interface BatcherOptions {
  maxBatchSize: number;
  maxQueueDelayMs: number;
  maxQueueSize: number;
  maxConcurrentBatches: number;
}

/** `alone`: the batch is one request of one row that arrived while no other inference was in flight. */
export type RunBatch = (inputs: Tensor[], outputNames: string[], alone: boolean) => Promise<Tensor[]>;

export interface BatchObserver {
  /** Called once per engine call with the rows and requests it merged and how long they queued. */
  onBatch?(rows: number, requests: number, queueWaitMs: number[]): void;
  /** Called when the engine call ends, with its duration. */
  onBatchDone?(ms: number): void;
  /** Called when a lone request's batch runs on the event loop's own session instead of the worker. */
  onInline?(): void;
}

interface Item {
  inputs: Tensor[];
  outputs: string[];
  key: string;
  rows: number;
  enqueuedAt: number;
  alone: boolean;
  resolve: (out: Tensor[]) => void;
  reject: (err: unknown) => void;
}

export class Batcher {
  private readonly queue: Item[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor(
    /** How errors name this queue, e.g. model 'spam' version '2'. */
    private readonly name: string,
    private readonly run: RunBatch,
    private readonly options: BatcherOptions,
    private readonly observer: BatchObserver = {},
  ) {}

  get queueDepth(): number {
    return this.queue.length;
  }

  get busy(): number {
    return this.inFlight;
  }

  /** Queues one request; the promise settles with this request's own rows of the batch output.
   * `alone`: the caller knows no other inference is in flight (see RunBatch). */
  submit(inputs: Tensor[], outputs: string[], signal?: AbortSignal, alone = false): Promise<Tensor[]> {
    if (this.closed) return Promise.reject(new ModelGateError('MG_MODEL_NOT_READY', `${this.name} is unloading`));
    if (this.queue.length >= this.options.maxQueueSize) return Promise.reject(errors.queueFull(this.name));
    return new Promise<Tensor[]>((resolve, reject) => {
      const item: Item = { inputs, outputs, key: batchKey(inputs, outputs), rows: rowsOf(inputs), enqueuedAt: performance.now(), alone, resolve, reject };
      if (signal) {
        // A caller that gave up while still queued leaves the queue, so it costs no engine time.
        signal.addEventListener('abort', () => {
          const i = this.queue.indexOf(item);
          if (i >= 0) {
            this.queue.splice(i, 1);
            reject(signal.reason instanceof ModelGateError ? signal.reason : errors.timeout(0));
            if (this.queue.length === 0) this.clearTimer();
          }
        }, { once: true });
      }
      this.queue.push(item);
      this.schedule();
    });
  }

  /** Refuses new requests; queued and running ones still complete (see drain). */
  close(): void {
    this.closed = true;
  }

  /** Resolves once the queue is empty and no batch is running. */
  drain(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    while (this.inFlight < this.options.maxConcurrentBatches && this.queue.length > 0) {
      const waited = performance.now() - this.queue[0].enqueuedAt;
      const queuedRows = this.queue.reduce((n, it) => n + it.rows, 0);
      if (queuedRows < this.options.maxBatchSize && waited < this.options.maxQueueDelayMs) {
        if (!this.timer) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.schedule();
          }, Math.max(0, this.options.maxQueueDelayMs - waited));
        }
        return;
      }
      this.dispatch(this.take());
    }
    if (this.queue.length === 0) this.clearTimer();
  }

  /** The requests a pending delay timer waited for have all gone (out or aborted): a stale timer
   * would only keep the process alive, up to maxQueueDelayMs after a shutdown. */
  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Takes the oldest request and the queued requests that can merge with it, up to maxBatchSize rows. */
  private take(): Item[] {
    const first = this.queue.shift()!;
    const batch = [first];
    let rows = first.rows;
    for (let i = 0; i < this.queue.length && rows < this.options.maxBatchSize; ) {
      const it = this.queue[i];
      if (it.key === first.key && rows + it.rows <= this.options.maxBatchSize) {
        batch.push(it);
        rows += it.rows;
        this.queue.splice(i, 1);
      } else {
        i++;
      }
    }
    return batch;
  }

  private dispatch(batch: Item[]): void {
    this.inFlight++;
    const now = performance.now();
    const rows = batch.map((it) => it.rows);
    this.observer.onBatch?.(rows.reduce((a, b) => a + b, 0), batch.length, batch.map((it) => now - it.enqueuedAt));
    let work: Promise<Tensor[][]>;
    try {
      // One request of one row, nothing waiting behind it and no other call of this version running.
      const alone = batch.length === 1 && batch[0].alone && batch[0].rows === 1 && this.queue.length === 0 && this.inFlight === 1;
      work = this.run(mergeInputs(batch.map((it) => it.inputs)), batch[0].outputs, alone).then((out) => splitOutputs(out, rows));
    } catch (err) {
      work = Promise.reject(err);
    }
    // The next batch goes to the engine before the callers of this one are resumed: their
    // continuations (answering, auditing) run on this thread and would leave the engine idle meanwhile.
    work.then(
      (parts) => {
        try {
          this.finish(now);
        } finally {
          batch.forEach((it, i) => it.resolve(parts[i]));
        }
      },
      (err) => {
        try {
          this.finish(now);
        } finally {
          batch.forEach((it) => it.reject(err));
        }
      },
    );
  }

  private finish(started: number): void {
    this.observer.onBatchDone?.(performance.now() - started);
    this.inFlight--;
    this.schedule();
    if (this.queue.length === 0 && this.inFlight === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}
