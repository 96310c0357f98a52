// Where the engine's time goes: ONNX Runtime's own profiler (enableProfiling) on the example graph,
// summed per operator type. A separate session from the timed baseline, since profiling adds cost.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { loadConfig } from '../../src/config/index.ts';
import { MODEL_PATH } from './engine.ts';

export interface OpCost {
  op: string;
  node: string;
  usPerRow: number;
  share: number;
}

export interface GraphProfile {
  batch: number;
  runs: number;
  /** model_run as the profiler sees it, per row. */
  runUsPerRow: number;
  ops: OpCost[];
}

interface TraceEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string };
}

export async function profileGraph(texts: string[], batch: number, runs: number): Promise<GraphProfile> {
  const { runtime } = loadConfig({ env: {} });
  const dir = mkdtempSync(join(tmpdir(), 'mg-bench-prof-'));
  try {
    const session = await ort.InferenceSession.create(readFileSync(MODEL_PATH), {
      intraOpNumThreads: runtime.intraOpThreads,
      interOpNumThreads: runtime.interOpThreads,
      graphOptimizationLevel: runtime.graphOptimizationLevel,
      executionMode: 'sequential',
      enableProfiling: true,
      profileFilePrefix: join(dir, 'ort'),
      logSeverityLevel: 4,
    });
    let next = 0;
    for (let r = 0; r < runs; r++) {
      const data: string[] = [];
      for (let i = 0; i < batch; i++) data.push(texts[next++ % texts.length]);
      await session.run({ text: new ort.Tensor('string', data, [batch]) });
    }
    session.endProfiling();
    await session.release();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error('onnxruntime wrote no profile');
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as TraceEvent[];
    const byNode = new Map<string, { op: string; us: number }>();
    let runUs = 0;
    let modelRuns = 0;
    for (const e of events) {
      if (e.cat === 'Session' && e.name === 'model_run') {
        modelRuns++;
        if (modelRuns > 1) runUs += e.dur ?? 0; // the first run pays one-time allocations
      }
    }
    // Kernel events of every run but the first.
    let seenRuns = 0;
    for (const e of events) {
      if (e.cat === 'Session' && e.name === 'model_run') seenRuns++;
      if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time')) continue;
      if (seenRuns === 0 && modelRuns > 1) continue;
      const node = e.name.slice(0, -'_kernel_time'.length);
      const cur = byNode.get(node) ?? { op: e.args?.op_name ?? '?', us: 0 };
      cur.us += e.dur ?? 0;
      byNode.set(node, cur);
    }
    const counted = Math.max(1, modelRuns - 1);
    const total = [...byNode.values()].reduce((s, n) => s + n.us, 0);
    const ops = [...byNode.entries()]
      .map(([node, n]) => ({ op: n.op, node, usPerRow: n.us / counted / batch, share: total > 0 ? n.us / total : 0 }))
      .sort((a, b) => b.usPerRow - a.usPerRow);
    return { batch, runs, runUsPerRow: runUs / counted / batch, ops };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
