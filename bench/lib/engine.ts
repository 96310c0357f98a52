// The in-process limit: the same model.onnx run by the server's own engine code (createOnnxEngine,
// the function the engine worker calls) in this process, with the server's default runtime
// settings, no HTTP, no worker thread, no security plane. Batch 1 called back to back gives the
// engine's own time per call; larger batches give its throughput limit in rows/s.
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/index.ts';
import { createOnnxEngine, createWorkerEngine } from '../../src/runtime/index.ts';
import type { Tensor } from '../../src/protocol/index.ts';
import { percentile } from './stats.ts';

export const MODEL_PATH = 'examples/models/spam-filter/1/model.onnx';

export interface EngineBatch {
  batch: number;
  calls: number;
  rowsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

export interface EngineResult {
  runtime: { intraOpThreads: number; interOpThreads: number; graphOptimizationLevel: string };
  batches: EngineBatch[];
  /** Batch 1, sequential: the engine's own time per call (what one request costs at best). */
  perCall: EngineBatch;
  /** The best rows/s over the batch sizes measured: the throughput the server cannot exceed with one engine thread. */
  limit: EngineBatch;
  /** Batch 1 through the server's worker-thread engine (createWorkerEngine): p50 per call, which is
   * perCall plus the two thread hand-offs every request pays in the server. */
  workerPerCallP50Ms: number;
}

export async function measureEngine(texts: string[], batches: number[], secondsEach: number): Promise<EngineResult> {
  const { runtime } = loadConfig({ env: {} });
  const engine = await createOnnxEngine(readFileSync(MODEL_PATH), runtime);
  const outputs = engine.outputs.map((o) => o.name);
  let next = 0;
  const feed = (n: number): Tensor[] => {
    const data: string[] = [];
    for (let i = 0; i < n; i++) data.push(texts[next++ % texts.length]);
    return [{ name: 'text', datatype: 'BYTES', shape: [n], data }];
  };
  try {
    for (let i = 0; i < 200; i++) await engine.run(feed(1), outputs); // warm-up
    const results: EngineBatch[] = [];
    for (const batch of batches) {
      const times: number[] = [];
      const until = performance.now() + secondsEach * 1000;
      const started = performance.now();
      while (performance.now() < until) {
        const f = feed(batch); // built outside the timed call, as the server builds its batch before the engine
        const t0 = performance.now();
        await engine.run(f, outputs);
        times.push(performance.now() - t0);
      }
      const elapsed = (performance.now() - started) / 1000;
      const sorted = [...times].sort((a, b) => a - b);
      results.push({
        batch,
        calls: times.length,
        // rows per second of engine time only (feed building excluded): the engine's ceiling.
        rowsPerSecond: (batch * times.length) / (times.reduce((s, t) => s + t, 0) / 1000),
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        meanMs: times.reduce((s, t) => s + t, 0) / times.length,
      });
      void elapsed;
    }
    const perCall = results.find((r) => r.batch === 1) ?? results[0];
    const limit = results.reduce((a, b) => (b.rowsPerSecond > a.rowsPerSecond ? b : a));
    return {
      runtime: { intraOpThreads: runtime.intraOpThreads, interOpThreads: runtime.interOpThreads, graphOptimizationLevel: runtime.graphOptimizationLevel },
      batches: results,
      perCall,
      limit,
      workerPerCallP50Ms: await workerPerCall(feed, outputs, runtime, secondsEach),
    };
  } finally {
    await engine.dispose();
  }
}

/** p50 of sequential batch-1 calls through a worker-thread engine, as the server runs the model. */
async function workerPerCall(feed: (n: number) => Tensor[], outputs: string[], runtime: Parameters<typeof createWorkerEngine>[1], seconds: number): Promise<number> {
  const engine = await createWorkerEngine(readFileSync(MODEL_PATH), runtime, 1);
  try {
    for (let i = 0; i < 200; i++) await engine.run(feed(1), outputs);
    const times: number[] = [];
    const until = performance.now() + seconds * 1000;
    while (performance.now() < until) {
      const f = feed(1);
      const t0 = performance.now();
      await engine.run(f, outputs);
      times.push(performance.now() - t0);
    }
    return percentile(times.sort((a, b) => a - b), 50);
  } finally {
    await engine.dispose();
  }
}
