// `npm run bench`: the real server under wrk against the same model run in-process (the limit), in
// one run on this machine, with batching on and off, the security plane on and off, audit on and off.
// Prints the table and the ratios against the targets; writes the figures to bench/results/*.json.
// Not a test: figures depend on the machine and on what else runs on it (the load average is shown).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from './lib/args.ts';
import { prepareLoad, VARIANTS } from './lib/corpus.ts';
import { cpuSplit, threadTimes } from './lib/cpu.ts';
import { measureEngine, type EngineResult } from './lib/engine.ts';
import { profileGraph, type GraphProfile } from './lib/profile.ts';
import { computeRatios, printEngine, printProfile, printRatios, printRuns, type Run } from './lib/report.ts';
import { SERVER_CONFIGS, startServer, type RunningServer } from './lib/server.ts';
import { fmt } from './lib/stats.ts';
import { runWrk, WRK } from './lib/wrk.ts';

function wrkVersion(): string {
  // wrk --version prints its usage too and exits 1.
  const r = spawnSync(WRK, ['--version'], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n')[0].replace(/\s+Copyright.*$/, '').trim() || 'wrk (version unknown)';
}

const PATH = '/v1/models/spam-filter/predict';
const args = parseArgs(process.argv.slice(2));
const log = (s = '') => console.log(s);
const load = () => loadavg().map((x) => Number(x.toFixed(2)));

const root = mkdtempSync(join(tmpdir(), 'mg-bench-serve-'));
const token = randomBytes(24).toString('hex'); // the admin credential of every server of this run
const started = new Date();
const loadBefore = load();
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
  node: process.version,
  wrk: wrkVersion(),
  commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim() +
    (spawnSync('git', ['status', '--porcelain', '--', 'src', 'examples/models'], { encoding: 'utf8' }).stdout.trim() ? ' (src has uncommitted changes)' : ''),
};
log(`modelgate bench: ${started.toISOString()}  commit ${machine.commit}; ${machine.cores} x ${machine.cpu}, ${machine.memoryGiB} GiB, node ${machine.node}, ${machine.wrk}`);
log(`load average before: ${loadBefore.join(' ')} (1, 5, 15 min)${loadBefore[0] > machine.cores * 0.5 ? '  -- the machine is busy: figures are provisional' : ''}`);
log(`runs: ${args.durationS} s measured after ${args.warmupS} s warm-up, concurrencies ${args.concurrencies.join(', ')}, configs ${args.only.join(', ')}; ` +
  `each server warmed ${args.serverWarmupS} s at c=${Math.max(...args.concurrencies)} when started; ${args.pairs} further cost pairs` +
  `${args.serverFlags.length ? `, extra server flags: ${args.serverFlags.join(' ')}` : ''}`);

const corpus = prepareLoad(root);
log(`load: ${corpus.texts.length} held-out emails of 4-6 KB (mean ${fmt(corpus.meanBytes)} bytes, ${corpus.spam} spam), ${VARIANTS} copies each with ` +
  `its own reference line, rotated by wrk; POST ${PATH}`);
log();

let engine: EngineResult | null = null;
const profiles: GraphProfile[] = [];
const configs = SERVER_CONFIGS.filter((c) => args.only.includes(c.name as never)).map((c) => c.name);
const runs: Run[] = [];
const refC = args.concurrencies.includes(32) ? 32 : Math.max(...args.concurrencies);
try {
  if (args.engine) {
    engine = await measureEngine(corpus.texts, [1, 8, 16, 32, 64], args.quick ? 1 : 3);
    printEngine(engine, log);
    log();
  }
  if (args.profile) {
    for (const [batch, n] of [[1, args.quick ? 100 : 300], [32, args.quick ? 10 : 30]] as const) {
      const p = await profileGraph(corpus.texts, batch, n);
      profiles.push(p);
      printProfile(p, log);
    }
    log();
  }
  // Every config's server is started first and idles while another is measured; then each
  // concurrency is measured on every config in turn. Drift in the machine's other load then spreads
  // over all configs within a minute instead of falling on the last ones measured.
  const servers: { config: (typeof SERVER_CONFIGS)[number]; server: RunningServer }[] = [];
  try {
    for (const config of SERVER_CONFIGS.filter((c) => configs.includes(c.name))) {
      const server = await startServer({ ...config, flags: [...config.flags, ...args.serverFlags] }, root, token);
      servers.push({ config, server });
      const probe = await fetch(server.url + PATH, {
        method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text: corpus.texts[0] }),
      });
      if (probe.status !== 200) throw new Error(`${config.name}: probe answered ${probe.status}: ${await probe.text()}`);
      // A fresh server runs much of its request path in V8's interpreter and baseline tiers: measured
      // cold, c = 1 (the first concurrency) was 0.7 to 1 ms slower at p50 than the same server warm.
      if (args.serverWarmupS > 0) {
        await runWrk({ url: server.url, path: PATH, connections: Math.max(...args.concurrencies), bodiesFile: corpus.bodiesFile, token, seconds: args.serverWarmupS });
      }
    }
    const measure = async (config: (typeof servers)[number]['config'], server: RunningServer, c: number, round: number): Promise<Run> => {
      const base = { url: server.url, path: PATH, connections: c, bodiesFile: corpus.bodiesFile, token };
      if (args.warmupS > 0) await runWrk({ ...base, seconds: args.warmupS });
      const before = threadTimes(server.pid);
      const t0 = performance.now();
      const r = await runWrk({ ...base, seconds: args.durationS });
      const wall = (performance.now() - t0) / 1000;
      const run: Run = { ...r, config: config.name, round, cpu: cpuSplit(server.pid, before, threadTimes(server.pid), wall), load1: load()[0] };
      printRuns([run], (s) => { if (!s.startsWith('config ')) log(s); }, machine.cores);
      return run;
    };
    for (const c of args.concurrencies) {
      for (const { config, server } of servers) runs.push(await measure(config, server, c, 0));
    }
    // The costs compare two configs measured a minute apart on a machine whose other load moves
    // throughput by tens of percent: further interleaved pairs, and the median, make them a figure.
    const costConfigs = servers.filter((s) => ['batching-on', 'security-off', 'audit-off'].includes(s.config.name));
    if (args.pairs > 0 && costConfigs.length > 1 && costConfigs[0].config.name === 'batching-on') {
      log(`cost pairs at c=${refC}:`);
      for (let round = 1; round <= args.pairs; round++) {
        for (const { config, server } of costConfigs) runs.push(await measure(config, server, refC, round));
      }
    }
  } finally {
    for (const { server } of servers) await server.stop();
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}

const loadAfter = load();
const ratios = computeRatios(runs, engine, refC);
log();
for (const c of SERVER_CONFIGS.filter((x) => args.only.includes(x.name as never))) log(`${c.name.padEnd(13)} ${c.what}`);
log();
const table = runs.filter((r) => r.round === 0);
table.sort((a, b) => configs.indexOf(a.config) - configs.indexOf(b.config) || a.connections - b.connections);
printRuns(table, log, machine.cores);
log('server cores: CPU used over the run, in cores: event-loop thread + busiest other thread (the engine worker) + the rest.');
log('CPU ms/req: the same divided by req/s. est. idle req/s: 1000 / max(loop ms, engine ms, all ms / cores), what the');
log('config could serve with the machine to itself -- an ESTIMATE from CPU time, not a measurement; no target is judged on it.');
log();
printRatios(ratios, log);
log();
log(`load average before: ${loadBefore.join(' ')}; after: ${loadAfter.join(' ')} (${machine.cores} cores)` +
  `${Math.max(loadBefore[0], loadAfter[0]) > machine.cores * 0.5 ? ': the machine was busy, the figures are provisional' : ''}`);

const resultsDir = new URL('./results/', import.meta.url);
mkdirSync(resultsDir, { recursive: true });
const file = new URL(`serve-${started.toISOString().replace(/[:.]/g, '-')}.json`, resultsDir);
writeFileSync(file, JSON.stringify({ started, finished: new Date(), machine, loadBefore, loadAfter, args, corpus: { emails: corpus.texts.length, meanBytes: corpus.meanBytes },
  engine, profiles, configs: SERVER_CONFIGS, runs, ratios }, null, 2));
log(`results: ${file.pathname}`);
