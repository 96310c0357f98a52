// A second, in-process session of a small, fast graph for requests that arrive alone. Handing a call
// to the engine worker and back costs two thread wake-ups; on a quiet server both threads sleep
// between requests, and on a virtual machine waking one can take longer than the graph itself
// (docs/benchmarks.md). A lone request gains nothing from the worker (the event loop has nothing
// else to do), so it runs here. Under load nothing runs here and the worker keeps the loop free.
import type { RuntimeConfig } from '../config/index.ts';
import type { Tensor } from '../protocol/index.ts';
import { warmupInputs, type Engine } from './engine.ts';
import { createOnnxEngine } from './onnx.ts';

/** A second session doubles the graph's memory, and ONNX Runtime for Node creates it synchronously,
 * on the server thread: about 20 ms for the spam filter's 0.5 MB. Larger graphs always go to the
 * worker, so loading a version never stalls the server for long. */
export const MAX_LONE_MODEL_BYTES = 4 * 1024 * 1024;
/** Runs per judgement: the fastest of them is the graph's own time. A run's wall time also holds
 * whatever else the event loop did before it started (other callbacks of the same turn, a busy host),
 * so a single slow run proves nothing; a window whose fastest run is over budget does. */
const WINDOW = 16;

export interface LoneRunner {
  /** Runs the call on this thread, or returns undefined when the runner has retired (too slow). */
  run(feeds: Tensor[], outputNames: string[]): Promise<Tensor[]> | undefined;
  dispose(): Promise<void>;
}

export interface LoneOptions {
  /** `runtime.loneInlineMs`: the most one row may take on the event loop; 0 turns inlining off. */
  budgetMs: number;
  /** The version's worker engine, already warm: a warm row there, hand-offs included, must be within
   * the budget before the graph runs on the server thread at all. */
  worker: Engine;
  maxModelBytes?: number;
}

/**
 * The runner, or undefined when inlining is off, the graph is too large, or one warm row takes
 * longer than the budget (the event loop must not stall for a slow graph). A warm-up that fails
 * rejects, as the worker's own warm-up does. A runner whose real inputs turn out slower than the warm-up's (the fastest of
 * WINDOW runs over budget) retires, and every later call goes to the worker.
 */
export async function createLoneRunner(model: Uint8Array, options: RuntimeConfig, lone: LoneOptions): Promise<LoneRunner | undefined> {
  if (lone.budgetMs <= 0 || model.byteLength > (lone.maxModelBytes ?? MAX_LONE_MODEL_BYTES)) return undefined;
  const outputs = lone.worker.outputs.map((o) => o.name);
  // The fastest of three: one slow hand-off on a busy machine must not rule the graph out.
  let viaWorker = Infinity;
  for (let i = 0; i < 3 && viaWorker > lone.budgetMs; i++) {
    const t0 = performance.now();
    await lone.worker.run(warmupInputs(lone.worker), outputs);
    viaWorker = Math.min(viaWorker, performance.now() - t0);
  }
  if (viaWorker > lone.budgetMs) return undefined;
  const engine = await createOnnxEngine(model, options);
  let fastest = Infinity;
  try {
    // The first run pays for lazy initialisation: judged on the warm ones.
    for (let i = 0; i < 3; i++) {
      const t1 = performance.now();
      await engine.run(warmupInputs(engine), outputs);
      if (i > 0) fastest = Math.min(fastest, performance.now() - t1);
    }
  } catch (err) {
    await engine.dispose();
    throw err;
  }
  if (fastest > lone.budgetMs) {
    await engine.dispose();
    return undefined;
  }
  return retiring(engine, lone.budgetMs);
}

function retiring(engine: Engine, budgetMs: number): LoneRunner {
  let fastest = Infinity;
  let runs = 0;
  let retired = false;
  let running = 0;
  let released: Promise<void> | undefined;
  const release = () => (released ??= engine.dispose());
  return {
    run(feeds, outputNames) {
      if (retired) return undefined;
      running++;
      const t0 = performance.now();
      return engine.run(feeds, outputNames).finally(() => {
        running--;
        fastest = Math.min(fastest, performance.now() - t0);
        if (++runs % WINDOW === 0) {
          if (fastest > budgetMs) retired = true;
          fastest = Infinity;
        }
        if (retired && running === 0) void release().catch(() => undefined);
      });
    },
    async dispose() {
      retired = true;
      if (running === 0) await release();
    },
  };
}
