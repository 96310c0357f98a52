// Prints the tables of docs/benchmarks.md from one results file of `npm run bench`, so the document
// quotes a run exactly. Run: node --import tsx bench/to-markdown.ts [bench/results/serve-<time>.json]
// (default: the newest results file).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineResult } from './lib/engine.ts';
import type { GraphProfile } from './lib/profile.ts';
import { cpuPerRequest, type Ratio, type Run } from './lib/report.ts';
import { fmt } from './lib/stats.ts';

const dir = 'bench/results';
const file = process.argv[2] ?? join(dir, readdirSync(dir).filter((f) => f.startsWith('serve-')).sort().pop() ?? '');
const r = JSON.parse(readFileSync(file, 'utf8')) as {
  started: string; machine: { commit?: string; cores: number }; loadBefore: number[]; loadAfter: number[];
  engine: EngineResult | null; profiles: GraphProfile[]; runs: Run[]; ratios: Ratio[];
};
const n = (x: number, d = 0) => fmt(x, d).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

console.log(`Run of ${r.started} (commit ${r.machine.commit ?? '?'}); load average before ${r.loadBefore.join(' ')}, after ${r.loadAfter.join(' ')}\n`);
if (r.engine) {
  console.log('| batch | calls | rows/s | p50 ms/call | p99 ms/call | ms/row |\n| ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const b of r.engine.batches) {
    const limit = b.batch === r.engine.limit.batch ? ' (the limit)' : '';
    console.log(`| ${b.batch} | ${b.calls} | ${n(b.rowsPerSecond)}${limit} | ${fmt(b.p50Ms, 3)} | ${fmt(b.p99Ms, 3)} | ${fmt(b.meanMs / b.batch, 3)} |`);
  }
  // Results files written before the worker figure existed have none.
  if (r.engine.workerPerCallP50Ms !== undefined) console.log(`
Batch 1 through a worker thread, as the server runs it: p50 ${fmt(r.engine.workerPerCallP50Ms, 3)} ms per call.`);
  console.log();
}
console.log('| config | c | req/s | p50 ms | p99 ms | non-2xx | server cores: loop + engine + other | CPU ms/req: loop / engine / all |\n| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |');
// The main table; the interleaved cost pairs (round 1 and later) are quoted by the cost ratios.
for (const x of r.runs.filter((run) => (run.round ?? 0) === 0)) {
  const p = cpuPerRequest(x);
  console.log(`| ${x.config} | ${x.connections} | ${n(x.rps)} | ${fmt(x.p50Ms, 2)} | ${fmt(x.p99Ms, 2)} | ${x.non2xx + x.socketErrors}${x.valid ? '' : ' INVALID'} | ` +
    `${fmt(x.cpu.totalCores, 2)} = ${fmt(x.cpu.mainCores, 2)} + ${fmt(x.cpu.engineCores, 2)} + ${fmt(x.cpu.otherCores, 2)} | ${fmt(p.mainMs, 2)} / ${fmt(p.engineMs, 2)} / ${fmt(p.totalMs, 2)} |`);
}
console.log();
for (const p of r.profiles) {
  console.log(`ONNX profile batch ${p.batch}: model_run ${fmt(p.runUsPerRow, 1)} us/row; ` + p.ops.map((o) => `${o.op} ${fmt(o.usPerRow, 1)} (${fmt(o.share * 100, 0)} %)`).join(', '));
}
console.log();
for (const x of r.ratios) console.log(`- ${x.name}: ${x.value === null ? 'n/a' : fmt(x.value, 2)} ${x.unit} (target ${x.target}) ${x.met === null ? '' : x.met ? 'met' : 'NOT MET'} -- ${x.detail}`);
