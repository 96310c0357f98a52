// An Engine whose graph runs in worker threads (one ONNX Runtime session each). A worker that dies
// fails only the calls it was running and is started again; the server thread never blocks on a graph
// here (a lone request may run on the server thread instead, within a budget: lone.ts).
import { Worker } from 'node:worker_threads';
import type { RuntimeConfig } from '../config/index.ts';
import { ModelGateError, type ErrorCode } from '../errors.ts';
import type { Tensor, TensorMetadata } from '../protocol/index.ts';
import type { Engine } from './engine.ts';
import type { WorkerReply, WorkerRequest } from './worker-protocol.ts';

const WORKER_URL = new URL('./onnx-worker-entry.mjs', import.meta.url);
/** How long a disposed worker may take to finish loading, release its session and exit before it
 * is terminated. */
const DISPOSE_GRACE_MS = 10_000;

interface Pending {
  resolve: (t: Tensor[]) => void;
  reject: (e: unknown) => void;
}

interface Meta {
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

const fail = (e: { code: string; message: string }) => new ModelGateError(e.code as ErrorCode, e.message);

class Slot {
  worker!: Worker;
  ready!: Promise<Meta>;
  readonly pending = new Map<number, Pending>();
  private disposed = false;

  constructor(private readonly model: Uint8Array, private readonly options: RuntimeConfig) {
    this.start();
  }

  private start(): void {
    const worker = new Worker(WORKER_URL, { workerData: { model: this.model, options: this.options } });
    this.worker = worker;
    this.ready = new Promise<Meta>((resolve, reject) => {
      worker.on('message', (msg: WorkerReply) => {
        if (msg.type === 'ready') resolve(msg);
        else if (msg.type === 'load-failed') reject(fail(msg.error));
        else {
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if (msg.type === 'result') p?.resolve(msg.outputs);
          else p?.reject(fail(msg.error));
        }
      });
      worker.on('error', () => undefined); // the exit handler below reports and recovers
      worker.on('exit', () => {
        reject(new ModelGateError('MG_PACKAGE_INVALID', 'the engine worker stopped while loading the model'));
        const lost = [...this.pending.values()];
        this.pending.clear();
        for (const p of lost) p.reject(new ModelGateError('MG_INFERENCE_FAILED', 'the engine stopped unexpectedly; it is being restarted'));
        if (!this.disposed && this.worker === worker) this.start();
      });
    });
    this.ready.catch(() => undefined);
  }

  async run(id: number, feeds: Tensor[], outputs: string[]): Promise<Tensor[]> {
    if (this.disposed) throw new ModelGateError('MG_MODEL_NOT_READY', 'the engine is being unloaded');
    await this.ready;
    return new Promise<Tensor[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'run', id, feeds, outputs } satisfies WorkerRequest);
    });
  }

  private disposing: Promise<void> | undefined;

  dispose(): Promise<void> {
    this.disposing ??= this.release();
    return this.disposing;
  }

  private async release(): Promise<void> {
    this.disposed = true;
    const worker = this.worker;
    if (worker.threadId < 0) return; // already gone
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'dispose' } satisfies WorkerRequest);
    // The worker releases its session and exits by itself. Terminating it while ONNX Runtime is
    // inside that release aborts the whole process (a native error thrown where nothing can catch
    // it, seen once under load); terminate only one that does not exit in time.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), DISPOSE_GRACE_MS)));
    if ((await Promise.race([exited, late])) === 'late') await worker.terminate();
    clearTimeout(timer);
  }
}

export async function createWorkerEngine(model: Uint8Array, options: RuntimeConfig, workers = 1): Promise<Engine> {
  const slots = Array.from({ length: Math.max(1, workers) }, () => new Slot(model, options));
  let meta: Meta;
  try {
    meta = (await Promise.all(slots.map((s) => s.ready)))[0];
  } catch (err) {
    await Promise.all(slots.map((s) => s.dispose()));
    throw err;
  }
  let nextId = 0;
  return {
    platform: meta.platform,
    inputs: meta.inputs,
    outputs: meta.outputs,
    run(feeds, outputs) {
      // The least busy worker takes the call.
      const slot = slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
      return slot.run(nextId++, feeds, outputs);
    },
    async dispose() {
      await Promise.all(slots.map((s) => s.dispose()));
    },
  };
}
