// Where the server's event-loop thread spends its time under the benchmark's load: starts one config
// of bench/serve.ts with node --cpu-prof, loads it with wrk, and sums the profile's self time by
// function and by source area. Not a test.
// Run: node --import tsx bench/profile-server.ts [config=batching-on] [connections=32] [seconds=10]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareLoad } from './lib/corpus.ts';
import { SERVER_CONFIGS, startServer } from './lib/server.ts';
import { fmt } from './lib/stats.ts';
import { runWrk } from './lib/wrk.ts';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const [name = 'batching-on', c = '32', seconds = '10'] = process.argv.slice(2);
const config = SERVER_CONFIGS.find((x) => x.name === name);
if (!config) throw new Error(`unknown config ${name}; one of ${SERVER_CONFIGS.map((x) => x.name).join(', ')}`);
const root = mkdtempSync(join(tmpdir(), 'mg-bench-prof-'));
const profDir = join(root, 'prof');
const token = randomBytes(24).toString('hex');
try {
  const corpus = prepareLoad(root);
  const server = await startServer(config, root, token, ['--cpu-prof', '--cpu-prof-dir', profDir]);
  let r;
  try {
    const base = { url: server.url, path: '/v1/models/spam-filter/predict', connections: Number(c), bodiesFile: corpus.bodiesFile, token };
    await runWrk({ ...base, seconds: 2 });
    r = await runWrk({ ...base, seconds: Number(seconds) });
  } finally {
    await server.stop();
  }
  console.log(`${config.name}, c=${c}: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50Ms, 2)} ms, non-2xx ${r.non2xx}`);
  // The largest profile is the main thread's (the engine worker writes its own, mostly native time).
  const files = readdirSync(profDir).map((f) => join(profDir, f)).sort((a, b) => statSync(b).size - statSync(a).size);
  // Only the last seconds of the profile: the measured run and the shutdown right after it, not
  // start-up (module compilation, schema compilation) nor the warm-up run.
  for (const file of files.slice(0, 2)) summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, file, (Number(seconds) + 0.5) * 1e6);
} finally {
  rmSync(root, { recursive: true, force: true });
}

function area(url: string): string {
  if (!url) return '(native / VM)';
  const src = url.match(/\/src\/([^/]+)(?:\/([^/]+))?/);
  if (src) return `src/${src[1]}${src[2] && !src[2].includes('.') ? '/' + src[2] : ''}`;
  const mod = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (mod) return mod[1];
  if (url.startsWith('node:')) return 'node internals';
  return url.replace(/^file:\/\//, '');
}

function summarize(p: CpuProfile, file: string, lastUs: number): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const times: number[] = [];
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) times.push((t += p.timeDeltas[i] ?? 0));
  const from = p.endTime - lastUs;
  for (let i = 1; i < p.samples.length; i++) {
    if (times[i] < from) continue;
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (times[i] - times[i - 1]));
  }
  const total = [...self.values()].reduce((s, x) => s + x, 0);
  const idle = [...self.entries()].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((s, [, t]) => s + t, 0);
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  for (const [id, t] of self) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') continue;
    const key = `${f.functionName || '(anonymous)'} ${area(f.url)}${f.url ? ':' + (f.lineNumber + 1) : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + t);
    areas.set(area(f.url), (areas.get(area(f.url)) ?? 0) + t);
  }
  const busy = total - idle;
  console.log(`\n${file.split('/').pop()}: ${fmt(total / 1e6, 1)} s sampled, busy ${fmt((busy / total) * 100, 1)}%`);
  console.log('self time by area (share of busy time):');
  for (const [k, t] of [...areas].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${fmt((t / busy) * 100, 1).padStart(5)}%  ${k}`);
  console.log('top functions by self time:');
  for (const [k, t] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${fmt((t / busy) * 100, 1).padStart(5)}%  ${k}`);
}
