// The figures of one run: the table (config x concurrency), the engine baseline, and the ratios
// against the targets. A run with any non-2xx answer or socket error is not a figure: it is
// shown, marked INVALID, and every ratio that would use it is n/a.
import type { CpuSplit } from './cpu.ts';
import type { EngineResult } from './engine.ts';
import type { GraphProfile } from './profile.ts';
import { fmt } from './stats.ts';
import type { WrkResult } from './wrk.ts';

export interface Run extends WrkResult {
  config: string;
  /** 0: the main table; 1..n: the interleaved cost pairs at c = 32 (results files before them have none). */
  round?: number;
  cpu: CpuSplit;
  load1: number;
}

export interface Ratio {
  name: string;
  value: number | null;
  unit: string;
  target: string;
  met: boolean | null;
  detail: string;
}

export const TARGET_RPS = 9000; // 3 x the 3,000 req/s of scikit-learn behind FastAPI + 2 gunicorn workers

const inTable = (r: Run) => (r.round ?? 0) === 0;
const find = (runs: Run[], config: string, c: number, round = 0) =>
  runs.find((r) => r.config === config && r.connections === c && r.valid && (r.round ?? 0) === round);
const best = (runs: Run[], config: string) =>
  runs.filter((r) => r.config === config && r.valid && inTable(r)).reduce<Run | undefined>((a, b) => (!a || b.rps > a.rps ? b : a), undefined);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** 1 - on/off of each round (the main table's and the cost pairs') where both runs are valid. */
function pairCosts(runs: Run[], config: string, c: number): { round: number; on: number; off: number; cost: number }[] {
  const rounds = [...new Set(runs.map((r) => r.round ?? 0))].sort((a, b) => a - b);
  return rounds.flatMap((round) => {
    const on = find(runs, 'batching-on', c, round);
    const off = find(runs, config, c, round);
    return on && off ? [{ round, on: on.rps, off: off.rps, cost: 1 - on.rps / off.rps }] : [];
  });
}

export function computeRatios(runs: Run[], engine: EngineResult | null, refC: number): Ratio[] {
  const out: Ratio[] = [];
  const on = best(runs, 'batching-on');
  const onRef = find(runs, 'batching-on', refC);
  if (engine) {
    const v = on ? on.rps / engine.limit.rowsPerSecond : null;
    out.push({ name: 'server (batching on, best c) / engine limit', value: v, unit: 'x', target: '>= 0.70', met: v === null ? null : v >= 0.7,
      detail: `${fmt(on?.rps)} req/s at c=${on?.connections ?? 'n/a'} / ${fmt(engine.limit.rowsPerSecond)} rows/s (in-process, batch ${engine.limit.batch})` });
    const v32 = onRef ? onRef.rps / engine.limit.rowsPerSecond : null;
    out.push({ name: `server (batching on, c=${refC}) / engine limit`, value: v32, unit: 'x', target: '>= 0.70', met: v32 === null ? null : v32 >= 0.7,
      detail: `${fmt(onRef?.rps)} req/s / ${fmt(engine.limit.rowsPerSecond)} rows/s` });
    const c1 = find(runs, 'batching-on', 1);
    const d = c1 ? c1.p50Ms - engine.perCall.p50Ms : null;
    out.push({ name: 'p50 at c=1 (batching on) - engine p50 per call', value: d, unit: 'ms', target: '<= 0.50', met: d === null ? null : d <= 0.5,
      detail: `${fmt(c1?.p50Ms, 3)} ms - ${fmt(engine.perCall.p50Ms, 3)} ms (a lone request skips the worker hand-offs, ${fmt(engine.workerPerCallP50Ms - engine.perCall.p50Ms, 3)} ms per call, unless runtime.loneInlineMs is 0)` });
  }
  const absolute = onRef ?? on;
  out.push({ name: `absolute req/s (batching on, c=${absolute?.connections ?? refC})`, value: absolute ? absolute.rps : null, unit: 'req/s',
    target: `>= ${TARGET_RPS}`, met: absolute ? absolute.rps >= TARGET_RPS : null, detail: `3 x 3,000 req/s (scikit-learn + FastAPI + 2 gunicorn workers, wrk c=32, ~5 KB emails)` });
  const off = best(runs, 'batching-off');
  const offRef = find(runs, 'batching-off', refC);
  out.push({ name: `batching on / off (c=${refC})`, value: onRef && offRef ? onRef.rps / offRef.rps : null, unit: 'x', target: '(report)', met: null,
    detail: `${fmt(onRef?.rps)} / ${fmt(offRef?.rps)} req/s; best over c: ${fmt(on?.rps)} / ${fmt(off?.rps)}` });
  for (const [name, config] of [['security plane', 'security-off'], ['audit', 'audit-off']] as const) {
    const pairs = pairCosts(runs, config, refC);
    const cost = pairs.length > 0 ? median(pairs.map((p) => p.cost)) : null;
    const bOff = best(runs, config);
    const costBest = on && bOff ? 1 - on.rps / bOff.rps : null;
    const each = pairs.map((p) => `${fmt(p.on)}/${fmt(p.off)} (${fmt(p.cost * 100, 1)}%)`).join(', ');
    out.push({ name: `${name} throughput cost (c=${refC}, median)`, value: cost === null ? null : cost * 100, unit: '%', target: '< 15', met: cost === null ? null : cost < 0.15,
      detail: `median of ${pairs.length} interleaved pair(s), on/off req/s: ${each || 'n/a'}; best over c: on ${fmt(on?.rps)} vs off ${fmt(bOff?.rps)} (${fmt(costBest === null ? null : costBest * 100, 1)}%)` });
  }
  return out;
}

export function printEngine(e: EngineResult, log: (s: string) => void): void {
  log(`in-process engine (createOnnxEngine in this process, intra-op ${e.runtime.intraOpThreads}, inter-op ${e.runtime.interOpThreads}, optimisation ${e.runtime.graphOptimizationLevel}):`);
  log('  batch   calls   rows/s   p50 ms/call   p99 ms/call   ms/row');
  for (const b of e.batches) {
    log(`  ${String(b.batch).padStart(5)} ${String(b.calls).padStart(7)} ${fmt(b.rowsPerSecond).padStart(8)} ${fmt(b.p50Ms, 3).padStart(13)} ${fmt(b.p99Ms, 3).padStart(13)} ${fmt(b.meanMs / b.batch, 3).padStart(8)}`);
  }
  log(`  engine per call (batch 1, sequential, c=1): p50 ${fmt(e.perCall.p50Ms, 3)} ms; through a worker thread as the server runs it: p50 ${fmt(e.workerPerCallP50Ms, 3)} ms`);
  log(`  THE LIMIT (best rows/s of one engine thread, batch ${e.limit.batch}): ${fmt(e.limit.rowsPerSecond)} rows/s`);
}

export function printProfile(p: GraphProfile, log: (s: string) => void): void {
  log(`ONNX Runtime profile, batch ${p.batch}, ${p.runs} runs: model_run ${fmt(p.runUsPerRow, 1)} us/row`);
  for (const o of p.ops) log(`  ${o.op.padEnd(18)} ${o.node.padEnd(24)} ${fmt(o.usPerRow, 1).padStart(8)} us/row ${fmt(o.share * 100, 1).padStart(6)}%`);
}

/** Server CPU milliseconds per request: less sensitive than req/s to other work on the machine. */
export function cpuPerRequest(r: Run): { mainMs: number; engineMs: number; totalMs: number } {
  const per = (cores: number) => (r.rps > 0 ? (cores / r.rps) * 1000 : NaN);
  return { mainMs: per(r.cpu.mainCores), engineMs: per(r.cpu.engineCores), totalMs: per(r.cpu.totalCores) };
}

/**
 * What this config could serve with the machine to itself: the event loop and the engine worker run
 * in parallel, so the busier of the two bounds it, and so does all the work spread over every core.
 * An estimate from CPU time per request, never a measurement: no target is judged on it.
 */
export function idleCapacity(r: Run, cores: number): number {
  const { mainMs, engineMs, totalMs } = cpuPerRequest(r);
  return 1000 / Math.max(mainMs, engineMs, totalMs / cores);
}

export function printRuns(runs: Run[], log: (s: string) => void, cores = 2): void {
  log('config          c     req/s   p50 ms   p99 ms  non-2xx  errors   server cores (loop+engine+other)  CPU ms/req (loop/engine/all)  est. idle req/s  wrk cores  load1');
  for (const r of runs) {
    const cpu = `${fmt(r.cpu.totalCores, 2)} = ${fmt(r.cpu.mainCores, 2)}+${fmt(r.cpu.engineCores, 2)}+${fmt(r.cpu.otherCores, 2)}`;
    const per = cpuPerRequest(r);
    const perText = `${fmt(per.mainMs, 2)} / ${fmt(per.engineMs, 2)} / ${fmt(per.totalMs, 2)}`;
    log(`${r.config.padEnd(14)} ${String(r.connections).padStart(3)} ${fmt(r.rps).padStart(9)} ${fmt(r.p50Ms, 2).padStart(8)} ${fmt(r.p99Ms, 2).padStart(8)} ` +
      `${String(r.non2xx).padStart(8)} ${String(r.socketErrors).padStart(7)}   ${cpu.padEnd(32)} ${perText.padEnd(28)} ${fmt(idleCapacity(r, cores)).padStart(15)} ` +
      `${fmt(r.clientCores, 2).padStart(10)} ${fmt(r.load1, 2).padStart(6)}${r.valid ? '' : '  INVALID'}`);
  }
}

export function printRatios(ratios: Ratio[], log: (s: string) => void): void {
  log('ratio                                               value      target     verdict');
  for (const r of ratios) {
    const verdict = r.met === null ? (r.target === '(report)' ? '' : 'n/a') : r.met ? 'met' : 'NOT MET';
    const value = r.value === null ? 'n/a' : `${fmt(r.value, r.unit === 'req/s' ? 0 : r.unit === 'ms' ? 3 : 2)} ${r.unit}`;
    log(`${r.name.padEnd(50)} ${value.padStart(12)}  ${r.target.padEnd(10)} ${verdict}`);
    log(`    ${r.detail}`);
  }
}
