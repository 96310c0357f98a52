// DriftMonitor on a synthetic numeric baseline: windows by count and by time (injected clock), the
// carry-over of thin windows, bounded history, verdicts with the correction, config validation.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLASS_FEATURE, DriftMonitor, predictionObservation, type DriftConfigInput } from '../../src/monitoring/drift/index.ts';
import { parseBaseline, type Baseline } from '../../src/monitoring/profile/index.ts';
import { isModelGateError } from '../../src/errors.ts';
import { gaussian, prng, summaryOf, UNIT_EDGES } from './fixtures.ts';

const EDGES = Array.from({ length: 21 }, (_, i) => -5 + i * 0.5);

function syntheticBaseline(): Baseline {
  const normal = gaussian(prng(1));
  const rand = prng(2);
  return parseBaseline({
    format: 'modelgate.baseline.v1',
    count: 5000,
    features: {
      'x[0]': summaryOf(Array.from({ length: 5000 }, normal), EDGES),
      'x[1]': summaryOf(Array.from({ length: 5000 }, () => 2 * normal() + 1), EDGES),
    },
    prediction: {
      score: summaryOf(Array.from({ length: 5000 }, rand), UNIT_EDGES),
      classShares: { predicted: { a: 0.7, b: 0.3 } },
    },
    profile: { kind: 'numeric', input: 'x' },
  });
}

function stream(seed: number, shift = 0, bShare = 0.3) {
  const normal = gaussian(prng(seed));
  const rand = prng(seed + 1000);
  return () => {
    const row = { 'x[0]': normal() + shift, 'x[1]': 2 * normal() + 1 };
    return { row, prediction: { values: { score: rand() }, label: rand() < bShare ? 'b' : 'a' } };
  };
}

function monitor(config: DriftConfigInput = {}, clock = { t: 0 }) {
  return new DriftMonitor({ baseline: syntheticBaseline(), config, now: () => clock.t });
}

describe('DriftMonitor', () => {
  it('closes a window every windowSize rows and finds no drift in a stationary stream', () => {
    const m = monitor({ windowSize: 200 });
    const next = stream(42);
    const results = [];
    for (let i = 0; i < 1000; i++) {
      const { row, prediction } = next();
      const r = m.observe(row, prediction);
      if (r) results.push(r);
    }
    assert.deepEqual(results.map((r) => [r.window, r.rows, r.closedBy]), [1, 2, 3, 4, 5].map((w) => [w, 200, 'count']));
    for (const r of results) assert.equal(r.drifted, false, `window ${r.window}: ${r.driftedFeatures}`);
    assert.deepEqual(m.features.map((f) => f.name), ['x[0]', 'x[1]', 'prediction.score', CLASS_FEATURE]);
    const f = results[0].features[0];
    assert.equal(f.method, 'ks');
    assert.ok(f.pValue! <= f.adjustedPValue!, 'Bonferroni never lowers a p-value');
    assert.ok(f.scores.psi >= 0 && f.scores.jsd >= 0 && f.scores.mean !== undefined);
  });

  it('flags a shifted feature and a shifted class mix in the first window', () => {
    const m = monitor({ windowSize: 200 });
    const next = stream(43, 0.5, 0.8);
    let first;
    for (let i = 0; i < 200 && !first; i++) {
      const { row, prediction } = next();
      first = m.observe(row, prediction);
    }
    assert.ok(first?.drifted);
    assert.deepEqual(first.driftedFeatures, ['x[0]', CLASS_FEATURE]);
    assert.equal(m.current().drifted, true);
    assert.equal(m.current().latest?.window, 1);
  });

  it('closes by time, carries thin windows over, and tick() closes without traffic', () => {
    const clock = { t: 1_000 };
    const m = monitor({ windowSize: 500, windowMs: 60_000, minWindowSize: 50 }, clock);
    const next = stream(44);
    for (let i = 0; i < 30; i++) m.observe(next().row);
    clock.t += 61_000;
    assert.equal(m.tick(), undefined, '30 rows are too few to judge: they carry over');
    for (let i = 0; i < 19; i++) assert.equal(m.observe(next().row), undefined);
    const r = m.observe(next().row);
    assert.ok(r, 'the 50th row after the deadline closes the window');
    assert.deepEqual([r.rows, r.closedBy, r.startedAt, r.endedAt], [50, 'time', 1_000, 62_000]);
    assert.deepEqual(m.current().open, { rows: 0, startedAt: 62_000 });
    for (let i = 0; i < 60; i++) m.observe(next().row);
    clock.t += 60_000;
    assert.equal(m.tick()?.closedBy, 'time');
    m.observe(next().row);
    assert.equal(m.flush()?.closedBy, 'flush');
    assert.equal(m.flush(), undefined);
  });

  it('keeps a bounded history, oldest first', () => {
    const m = monitor({ windowSize: 20, historySize: 3 });
    const next = stream(45);
    for (let i = 0; i < 100; i++) m.observe(next().row);
    assert.deepEqual(m.history().map((r) => r.window), [3, 4, 5]);
    assert.equal(m.current().windowsClosed, 5);
  });

  it('uses the configured methods and thresholds; skips undefined values', () => {
    const m = monitor({ windowSize: 100, numericMethod: 'psi', psiThreshold: 0.25, categoricalMethod: 'jsd', methods: { 'x[1]': 'ks' }, correction: 'holm' });
    const next = stream(46, 2);
    let r;
    for (let i = 0; i < 100; i++) {
      const { row, prediction } = next();
      r = m.observe({ ...row, 'x[1]': i % 2 ? Number.NaN : row['x[1]'] }, prediction);
    }
    assert.ok(r);
    const byName = Object.fromEntries(r.features.map((f) => [f.feature, f]));
    assert.equal(byName['x[0]'].method, 'psi');
    assert.equal(byName['x[0]'].drifted, true, `PSI ${byName['x[0]'].statistic}`);
    assert.equal(byName['x[0]'].pValue, undefined);
    assert.equal(byName['x[1]'].method, 'ks');
    assert.equal(byName['x[1]'].count, 50);
    assert.equal(byName[CLASS_FEATURE].method, 'jsd');
    assert.equal(byName['prediction.score'].count, 100);
  });

  it('overall share rule needs that share of drifted features', () => {
    const m = monitor({ windowSize: 200, overall: 'share', driftShare: 0.5 });
    const next = stream(47, 0.5);
    let r;
    for (let i = 0; i < 200; i++) r = m.observe(next().row, next().prediction);
    assert.deepEqual(r?.driftedFeatures, ['x[0]']);
    assert.equal(r?.drifted, false, 'one drifted feature of four is below the 0.5 share');
  });

  it('refuses invalid settings with MG_CONFIG_INVALID', () => {
    for (const config of [{ windowSize: 0 }, { alpha: 1.5 }, { bogus: 1 }, { methods: { [CLASS_FEATURE]: 'ks' as const } }]) {
      assert.throws(() => monitor(config as DriftConfigInput), (e) => isModelGateError(e) && e.code === 'MG_CONFIG_INVALID');
    }
  });

  it('predictionObservation names probabilities as the baseline does', () => {
    assert.deepEqual(predictionObservation(['ham', 'spam'], [0.2, 0.8]), { values: { hamProbability: 0.2, spamProbability: 0.8 }, label: 'spam' });
    assert.equal(predictionObservation(['ham', 'spam'], [0.5, 0.5]).label, 'ham');
  });
});
