// Per-request JavaScript work on the server's event loop, timed on the benchmark's emails: input
// normalisation, the OOD/drift text profile, the extraction detector's features, the audit input
// hash. Each figure is the fastest of 5 trials (the least disturbed by other work on the machine).
// Not a test. Run: node --import tsx bench/hot-paths.ts
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProfiler, parseBaseline } from '../src/monitoring/profile/index.ts';
import { createTokenCounter } from '../src/monitoring/profile/scan.ts';
import { normalizeText } from '../src/security/constraints.ts';
import { textFeatures } from '../src/security/extraction/features.ts';
import { prepareLoad } from './lib/corpus.ts';
import { fmt } from './lib/stats.ts';

const dir = mkdtempSync(join(tmpdir(), 'mg-bench-hot-'));
const { texts } = prepareLoad(dir);
rmSync(dir, { recursive: true, force: true });
const manifest = JSON.parse(readFileSync('examples/models/spam-filter/1/manifest.json', 'utf8'));
const profiler = createProfiler(parseBaseline(manifest.baseline));
if (profiler.kind !== 'text') throw new Error('expected a text profiler');
const bodies = texts.map((text) => JSON.stringify({ text }));

/** Microseconds per email: the fastest of 5 trials of `rounds` passes over the corpus, after one
 * warm-up pass (the fastest trial is the one least disturbed by other work on the machine). */
function time(name: string, f: (text: string, i: number) => unknown, rounds = 4): number {
  for (let i = 0; i < texts.length; i++) f(texts[i], i);
  let us = Infinity;
  for (let trial = 0; trial < 5; trial++) {
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) for (let i = 0; i < texts.length; i++) f(texts[i], i);
    us = Math.min(us, ((performance.now() - t0) * 1000) / (rounds * texts.length));
  }
  console.log(`${name.padEnd(64)} ${fmt(us, 1).padStart(8)} us/email`);
  return us;
}

console.log(`${texts.length} emails, mean ${fmt(texts.reduce((s, t) => s + t.length, 0) / texts.length)} UTF-16 units`);
time('JSON.parse of the request body', (_, i) => JSON.parse(bodies[i]));
time('normalizeText (NFKC, strip invisible, homoglyphs)', (t) => normalizeText(t, { nfkc: true, stripInvisible: true, homoglyphs: true }));
time('sha256 of the text (audit input hash)', (t) => createHash('sha256').update(t).digest('hex'));
time('OOD/drift text profile: profiler.profile([text])', (t) => profiler.profile([t]));
time('extraction detector features: textFeatures(text)', (t) => textFeatures(t, { hashBits: 12, maxNonZero: 64 }));
// The profile's token scan alone, with the vocabulary and without it (what the lookups cost).
const spec = profiler.spec;
const scan = createTokenCounter(spec.tokenPattern, spec.vocabulary, spec)!;
const scanNoVocabulary = createTokenCounter(spec.tokenPattern, [], spec)!;
time('  of the profile: the token scan (createTokenCounter)', (t) => scan(t));
time('  of the profile: the token scan without vocabulary lookups', (t) => scanNoVocabulary(t));

