// Per-request out-of-distribution flagging on the spam filter: held-out real mail is rarely flagged,
// hostile and odd inputs are flagged for the right reasons. Plus the numeric distance on a synthetic model.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createOodScorer, createProfiler, parseBaseline, type OodScorer, type Profiler } from '../../src/monitoring/profile/index.ts';
import { gaussian, prng, spamBaseline, spamSplit, summaryOf } from './fixtures.ts';

const MB = 1_048_576;

function randomText(length: number, seed: number): string {
  const rand = prng(seed);
  return Array.from({ length }, () => String.fromCharCode(33 + Math.floor(rand() * 94))).join('');
}

const HOSTILE: Record<string, { text: string; reasons: string[] }> = {
  emojiOnly: { text: '\u{1F600}\u{1F4B0}\u{1F525}\u{1F680}'.repeat(50), reasons: ['text.tokens', 'text.chars.nonAscii'] },
  oneTokenMegabyte: { text: 'free '.repeat(MB / 5), reasons: ['text.length', 'text.tokens'] },
  randomCharacters: { text: randomText(3000, 5), reasons: ['text.oovShare', 'text.chars.punctuation'] },
  zeroWidth: {
    text: 'Subject: claim your free prize now\n\n' + 'Click here to claim your free prize now. '.repeat(20).split('').join('\u200B'),
    reasons: ['text.chars.invisible'],
  },
  homoglyphs: {
    text: 'Subject: urgent\n\nG\u0435t fr\u0435\u0435 m\u043En\u0435y n\u043Ew, \u0441lick h\u0435r\u0435 t\u043E \u0441laim y\u043Eur pr\u0456z\u0435. '.repeat(20),
    reasons: ['text.words.mixedScript'],
  },
};

describe('OOD flagging on the spam filter', () => {
  let profiler: Profiler;
  let scorer: OodScorer;
  before(() => {
    profiler = createProfiler(spamBaseline());
    scorer = createOodScorer(profiler);
  });
  const score = (text: string) => {
    if (profiler.kind !== 'text') throw new Error('text profiler expected');
    return scorer.scoreRow(profiler.profile([text])[0]);
  };

  it('rarely flags held-out real mail (under 2%)', (t) => {
    const test = spamSplit().test;
    const flagged = test.map((r) => score(r.text)).filter((v) => v.flagged);
    const rate = flagged.length / test.length;
    t.diagnostic(`held-out false-flag rate ${flagged.length}/${test.length} = ${(100 * rate).toFixed(2)}%`);
    assert.ok(rate < 0.02, `false-flag rate ${rate}`);
    for (const v of flagged) assert.equal(v.reasons.length, v.breaches.length);
  });

  for (const [name, { text, reasons }] of Object.entries(HOSTILE)) {
    it(`flags ${name} for ${reasons.join(' and ')}`, () => {
      const v = score(text);
      assert.equal(v.flagged, true);
      assert.ok(v.score > 0);
      const features = v.breaches.map((b) => b.feature);
      for (const reason of reasons) assert.ok(features.includes(reason), `${name}: ${v.reasons.join('; ')}`);
      assert.ok(v.reasons.some((r) => r.startsWith(reasons[0])), 'the reason names the feature');
    });
  }

  it('explains a breach with the value, the fence and the training quantiles', () => {
    const v = score(HOSTILE.zeroWidth.text);
    const reason = v.reasons.find((r) => r.startsWith('text.chars.invisible'))!;
    assert.match(reason, /^text\.chars\.invisible 0\.\d+ above the baseline range \[-?[\d.e-]+, [\d.e-]+\] \(training p1 0, p99 0\)$/);
  });

  it('a wider fence flags less; ignored features are never judged', () => {
    const wide = createOodScorer(profiler, { k: 1000, ignore: ['text.chars.invisible', 'text.words.mixedScript', 'text.chars.nonAscii'] });
    if (profiler.kind !== 'text') throw new Error('text profiler expected');
    const row = profiler.profile([HOSTILE.zeroWidth.text])[0];
    assert.equal(wide.scoreRow(row).flagged, false);
  });
});

describe('OOD flagging for numeric inputs', () => {
  const normal = gaussian(prng(3));
  const edges = Array.from({ length: 21 }, (_, i) => -5 + i * 0.5);
  const features = Object.fromEntries([0, 1, 2, 3].map((j) => [`x[${j}]`, summaryOf(Array.from({ length: 4000 }, normal), edges)]));
  const profiler = createProfiler(parseBaseline({ format: 'modelgate.baseline.v1', count: 4000, features, profile: { kind: 'numeric', input: 'x' } }));
  const scorer = createOodScorer(profiler, { distanceThreshold: 3 });
  const rows = (data: number[][]) => (profiler.kind === 'numeric' ? profiler.profile(data) : []);

  it('passes typical rows and reports the RMS z distance', () => {
    const [v] = rows([[0.1, -0.5, 1, 0]]).map((r) => scorer.scoreRow(r));
    assert.equal(v.flagged, false);
    assert.ok(v.distance! > 0.4 && v.distance! < 0.7, `distance ${v.distance}`);
  });

  it('flags one far feature by its range, and a row far on every feature by distance', () => {
    const [far, everywhere, nonFinite] = rows([[40, 0, 0, 0], [3.3, -3.3, 3.3, -3.3], [Number.POSITIVE_INFINITY, 0, 0, 0]]).map((r) => scorer.scoreRow(r));
    assert.ok(far.flagged && far.breaches[0].feature === 'x[0]');
    assert.ok(everywhere.flagged);
    assert.equal(everywhere.breaches.length, 0, 'each value alone is inside its fence');
    assert.match(everywhere.reasons[0], /^distance 3\.\d+ from the training mean/);
    assert.ok(nonFinite.flagged && nonFinite.reasons[0] === 'x[0] is not finite');
  });
});
