// The demonstration on the spam filter with the real ONNX model in onnxruntime-node: held-out mail in a
// stationary mix raises no drift alarm over many windows; a spam-only stream and a "new campaign" of
// texts with unseen vocabulary raise one in the first window of 500 after the shift (docs/drift.md).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { DriftMonitor, predictionObservation, type DriftResult } from '../../src/monitoring/drift/index.ts';
import { createProfiler, type Baseline, type FeatureRow } from '../../src/monitoring/profile/index.ts';
import { prng, SPAM_DIR, spamBaseline, spamSplit } from './fixtures.ts';

const WINDOW = 500;
const LABELS = ['ham', 'spam'];

interface Request {
  row: FeatureRow;
  probabilities: [number, number];
}

async function score(session: ort.InferenceSession, baseline: Baseline, texts: string[]): Promise<Request[]> {
  const profiler = createProfiler(baseline);
  if (profiler.kind !== 'text') throw new Error('text profiler expected');
  const rows = profiler.profile(texts);
  const out: Request[] = [];
  for (let i = 0; i < texts.length; i += 64) {
    const batch = texts.slice(i, i + 64);
    const result = await session.run({ text: new ort.Tensor('string', batch, [batch.length]) });
    const p = result.probabilities.data as Float32Array;
    batch.forEach((_, j) => out.push({ row: rows[i + j], probabilities: [p[2 * j], p[2 * j + 1]] }));
  }
  return out;
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rand = prng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** An email of a spam run nobody trained on: real header words, a body of invented words. */
function campaignEmail(rand: () => number, words: string[]): string {
  const pick = () => words[Math.floor(rand() * words.length)];
  const body = Array.from({ length: 250 + Math.floor(rand() * 250) }, pick).join(' ');
  return `From: ${pick()}@${pick()}.example\nTo: user@example.org\nSubject: ${pick()} ${pick()} ${pick()}\n` +
    `Date: Mon, 2 Jun 2025 10:00:00 +0000\nContent-Type: text/plain\n\n${body}\n`;
}

function inventedWords(seed: number, count: number): string[] {
  const rand = prng(seed);
  const letters = 'bcdfghjklmnpqrstvwxz';
  const vowels = 'aeiouy';
  return Array.from({ length: count }, () =>
    Array.from({ length: 3 + Math.floor(rand() * 3) }, () => letters[Math.floor(rand() * 20)] + vowels[Math.floor(rand() * 6)]).join(''),
  );
}

function run(baseline: Baseline, stream: readonly Request[]): DriftResult[] {
  const monitor = new DriftMonitor({ baseline, config: { windowSize: WINDOW }, now: () => 0 });
  const results: DriftResult[] = [];
  for (const r of stream) {
    const result = monitor.observe(r.row, predictionObservation(LABELS, r.probabilities));
    if (result) results.push(result);
  }
  return results;
}

describe('drift on the spam filter, real model', () => {
  let baseline: Baseline;
  let heldOut: Request[];
  let spam: Request[];
  let campaign: Request[];

  before(async () => {
    baseline = spamBaseline();
    const session = await ort.InferenceSession.create(`${SPAM_DIR}/model.onnx`);
    const test = spamSplit().test;
    heldOut = await score(session, baseline, test.map((r) => r.text));
    spam = heldOut.filter((_, i) => test[i].label === 'spam');
    const rand = prng(99);
    const words = inventedWords(7, 3000);
    campaign = await score(session, baseline, Array.from({ length: 600 }, () => campaignEmail(rand, words)));
  });

  it('a stationary mix of held-out ham and spam raises no alarm in 12 windows of 500', (t) => {
    const results: DriftResult[] = [];
    for (const seed of [1, 2, 3]) results.push(...run(baseline, [...shuffled(heldOut, seed), ...shuffled(heldOut, seed + 100)]));
    assert.equal(results.length, 12);
    const worst = Math.min(...results.flatMap((r) => r.features.map((f) => f.adjustedPValue ?? 1)));
    t.diagnostic(`12 windows, none drifted; smallest corrected p-value ${worst.toFixed(3)}`);
    for (const r of results) assert.equal(r.drifted, false, `window ${r.window}: ${r.driftedFeatures.join(', ')}`);
  });

  it('a switch to spam only fires in the first window after the switch', (t) => {
    const stream = [...shuffled(heldOut, 4).slice(0, 2 * WINDOW), ...shuffled([...spam, ...spam], 5)];
    const results = run(baseline, stream);
    assert.deepEqual(results.map((r) => r.drifted), [false, false, true]);
    const fired = results[2];
    t.diagnostic(`spam only: fires at window 3 (requests 1001-1500): ${fired.driftedFeatures.join(', ')}`);
    for (const f of ['prediction.spamProbability', 'prediction.class', 'text.oovShare']) assert.ok(fired.driftedFeatures.includes(f), f);
  });

  it('a new campaign with unseen vocabulary at 30% of traffic fires in the first window', (t) => {
    const mixed = shuffled([...shuffled(heldOut, 6).slice(0, 350), ...campaign.slice(0, 150)], 7);
    const [first] = run(baseline, mixed);
    assert.equal(first.drifted, true);
    t.diagnostic(`campaign at 30%: fires at window 1: ${first.driftedFeatures.join(', ')}`);
    assert.ok(first.driftedFeatures.includes('text.oovShare'));
  });
});
