// A second, in-process session of a small, fast graph for requests that arrive alone. Handing a call
// to the engine worker and back costs two thread wake-ups; on a quiet server both threads sleep
// between requests, and on a virtual machine waking one can take longer than the graph itself
// (docs/benchmarks.md). A lone request gains nothing from the worker (the event loop has nothing
// else to do), so it runs here. Under load requests have company and go to the worker, which keeps
// the loop free; only the rare one that finds the server idle runs here.
import type { RuntimeConfig } from '../config/index.ts';
import { isModelGateError, ModelGateError } from '../errors.ts';
import type { Tensor } from '../protocol/index.ts';
import { warmupInputs, type Engine } from './engine.ts';
import { createOnnxEngine } from './onnx.ts';

/** A second session doubles the graph's memory, and ONNX Runtime for Node creates it synchronously,
 * on the server thread: about 20 ms for the spam filter's 0.5 MB. Larger graphs always go to the
 * worker, so loading a version never stalls the server for long. */
export const MAX_LONE_MODEL_BYTES = 1024 * 1024;
/** The largest input run here, in numbers plus characters of text. The budget is judged on the small
 * warm-up input; a graph's time grows with its input, so a large one (a 5 MB email) goes to the
 * worker however fast the warm-up was. 64 Ki is 13 of the spam benchmark's 5 KB emails. */
export const MAX_LONE_INPUT_UNITS = 65_536;
/** A single run this many times over budget retires the runner at once: an input that slow must not
 * get another turn on the server thread while a window fills. Far enough above the budget that a
 * garbage collection or a busy host during one run does not retire a fast graph. */
const OVER_BUDGET_AT_ONCE = 10;
/** Runs per judgement: the fastest of them is the graph's own time. A run's time can still hold a
 * garbage collection or a busy host, so a single slow run proves little; a window whose fastest run
 * is over budget does. */
const WINDOW = 16;

export interface LoneRunner {
  /** Runs the call on this thread, or returns undefined when the input is too large for it or the
   * runner has retired (too slow): then the worker takes the call. */
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
  /** OVER_BUDGET_AT_ONCE unless given (tests judge the window rule alone with Infinity). */
  overBudgetAtOnce?: number;
}

/**
 * The runner, or undefined when inlining is off, the graph is too large, or one warm row takes
 * longer than the budget (the event loop must not stall for a slow graph). A warm-up that fails
 * rejects, as the worker's own warm-up does. A runner whose real inputs turn out slower than the
 * warm-up's retires (see OVER_BUDGET_AT_ONCE and WINDOW), and every later call goes to the worker.
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
      const { ms } = await timedRun(engine, warmupInputs(engine), outputs);
      if (i > 0) fastest = Math.min(fastest, ms);
    }
  } catch (err) {
    await engine.dispose();
    throw err;
  }
  if (fastest > lone.budgetMs) {
    await engine.dispose();
    return undefined;
  }
  return retiring(engine, lone.budgetMs, lone.overBudgetAtOnce ?? OVER_BUDGET_AT_ONCE);
}

function retiring(engine: Engine, budgetMs: number, atOnce: number): LoneRunner {
  let fastest = Infinity;
  let runs = 0;
  let retired = false;
  let running = 0;
  let released: Promise<void> | undefined;
  const release = () => (released ??= engine.dispose());
  const judge = (ms: number) => {
    running--;
    fastest = Math.min(fastest, ms);
    if (ms > atOnce * budgetMs) retired = true;
    if (++runs % WINDOW === 0) {
      if (fastest > budgetMs) retired = true;
      fastest = Infinity;
    }
    if (retired && running === 0) void release().catch(() => undefined);
  };
  return {
    run(feeds, outputNames) {
      if (retired || inputUnits(feeds) > MAX_LONE_INPUT_UNITS) return undefined;
      running++;
      const timed = timedRun(engine, feeds, outputNames);
      return timed.then(
        ({ out, ms }) => {
          judge(ms);
          return out;
        },
        (err: unknown) => {
          judge(timed.ms());
          // As the worker reports it: a catalog error as it is, anything else without its internals.
          throw isModelGateError(err) ? err : new ModelGateError('MG_INFERENCE_FAILED', 'the model failed on this input');
        },
      );
    },
    async dispose() {
      retired = true;
      if (running === 0) await release();
    },
  };
}

/**
 * Runs the call and times the graph alone. ONNX Runtime for Node runs it synchronously in a
 * setImmediate callback queued by run() itself, after whatever the event loop has to do first (under
 * load, many callbacks); timed from the call, a fast graph would look slow. Immediate callbacks run in
 * the order they were queued, so one queued just before run() marks the start of the graph's own.
 */
function timedRun(engine: Engine, feeds: Tensor[], outputNames: string[]): Promise<{ out: Tensor[]; ms: number }> & { ms(): number } {
  let start = performance.now();
  setImmediate(() => (start = performance.now()));
  const ms = () => performance.now() - start;
  const run = engine.run(feeds, outputNames).then((out) => ({ out, ms: ms() }));
  return Object.assign(run, { ms });
}

/** Numbers plus characters of text across the inputs: what a graph's time grows with. */
function inputUnits(feeds: readonly Tensor[]): number {
  let units = 0;
  for (const t of feeds) {
    if (!Array.isArray(t.data)) units += t.data.length;
    else for (const v of t.data as readonly unknown[]) units += typeof v === 'string' ? v.length : 1;
  }
  return units;
}
