// The profiler against the trainer: run over the training split it must reproduce the baseline's
// summaries (the trainer's own summarize over the profiler's values gives the committed numbers).
// Also the tokenizer quirks, the numeric profiler and malformed baselines.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LENGTH_EDGES, TOKEN_EDGES, UNIT_EDGES } from '../../examples/spam-filter/baseline.ts';
import { createProfiler, parseBaseline, TEXT_FEATURES, type Baseline, type TextProfiler } from '../../src/monitoring/profile/index.ts';
import { isModelGateError } from '../../src/errors.ts';
import { spamBaseline, spamSplit, summaryOf } from './fixtures.ts';

const EDGES: Record<string, number[]> = { 'text.length': LENGTH_EDGES, 'text.tokens': TOKEN_EDGES };

describe('text profiler on the spam filter', () => {
  let baseline: Baseline;
  let profiler: TextProfiler;
  before(() => {
    baseline = spamBaseline();
    const p = createProfiler(baseline);
    assert.equal(p.kind, 'text');
    profiler = p as TextProfiler;
  });

  it('reproduces every baseline summary over the training split', () => {
    const rows = profiler.profile(spamSplit().train.map((r) => r.text));
    assert.deepEqual(profiler.features.map((f) => f.name), [...TEXT_FEATURES]);
    for (const name of TEXT_FEATURES) {
      const expected = baseline.features[name];
      const got = summaryOf(rows.map((r) => r[name]), EDGES[name] ?? UNIT_EDGES);
      assert.equal(got.count, expected.count, `${name}: count`);
      // Same values through the same summarize: everything agrees to the manifest's six digits.
      assert.deepEqual(got, expected, `${name}: summary`);
    }
  });

  it('tokenizes as the graph does: lower-cased ASCII words, "$" and "!", nothing after NUL', () => {
    const [row] = profiler.profile(['WIN $100!! Caf\u00e9 \u212Aelvin\u0000zzqqxx hidden']);
    assert.equal(row['text.tokens'], 7); // win $ 100 ! ! caf kelvin
    const [empty] = profiler.profile(['']);
    assert.equal(empty['text.length'], 0);
    assert.ok(Number.isNaN(empty['text.oovShare']) && Number.isNaN(empty['text.chars.letter']));
  });

  it('counts characters by code point and finds invisible and mixed-script text', () => {
    const [row] = profiler.profile(['fr\u200Bee p\u0430yp\u0430l \u{1F600}']);
    assert.equal(row['text.length'], 14);
    assert.equal(row['text.chars.invisible'], 1 / 14);
    assert.equal(row['text.chars.nonAscii'], 4 / 14);
    assert.equal(row['text.words.mixedScript'], 1 / 3); // fr, ee, pаypаl
  });
});

describe('numeric profiler', () => {
  const numeric = (features: Record<string, unknown>) =>
    parseBaseline({ format: 'modelgate.baseline.v1', count: 3, features, profile: { kind: 'numeric', input: 'x' } });
  const s = summaryOf([1, 2, 3], [0, 2, 4]);

  it('keys features <input>[<index>] and reads rows and row-major tensors', () => {
    const p = createProfiler(numeric({ 'x[1]': s, 'x[0]': s, other: s }));
    assert.equal(p.kind, 'numeric');
    if (p.kind !== 'numeric') return;
    assert.equal(p.width, 2);
    assert.deepEqual(p.profile([[1, 2]]), [{ 'x[0]': 1, 'x[1]': 2 }]);
    assert.deepEqual(p.profileTensor(Float32Array.from([1, 2, 3, 4]), [2, 2]), [{ 'x[0]': 1, 'x[1]': 2 }, { 'x[0]': 3, 'x[1]': 4 }]);
    assert.throws(() => p.profile([[1, 2, 3]]), (e) => isModelGateError(e) && e.code === 'MG_INVALID_TENSOR');
    assert.throws(() => p.profileTensor([1, 2, 3], [1, 3]), (e) => isModelGateError(e) && e.code === 'MG_INVALID_TENSOR');
  });

  it('refuses gaps in the columns, a missing profile and malformed summaries', () => {
    const invalid = (e: unknown) => isModelGateError(e) && e.code === 'MG_PACKAGE_INVALID';
    assert.throws(() => createProfiler(numeric({ 'x[0]': s, 'x[2]': s })), invalid);
    assert.throws(() => createProfiler(parseBaseline({ format: 'modelgate.baseline.v1', count: 0, features: {} })), invalid);
    assert.throws(() => parseBaseline({ format: 'modelgate.baseline.v1', count: 1, features: { a: { ...s, histogram: { edges: [0, 1], counts: [1, 2] } } } }), invalid);
    assert.throws(() => parseBaseline({ format: 'v0', count: 1, features: {} }), invalid);
  });
});
