// The statistics of routing checked against known values: Φ (reference values from an exact erfc),
// the pooled two-proportion z-test (as statsmodels' proportions_ztest), the chi-square homogeneity
// test (SciPy chi2_contingency without correction), total variation, and the latency sketch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencySketch, labelHomogeneity, normalCdf, oneSidedGreater, seededRng, totalVariation, twoProportionZTest } from '../../src/routing/index.ts';

function close(actual: number, expected: number, relative: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= relative * Math.abs(expected), `${what}: ${actual} vs ${expected}`);
}

test('normalCdf matches reference values to 2e-7 relative, tails included', () => {
  const cases: [number, number][] = [
    [0, 0.5],
    [1, 0.8413447460685429],
    [1.96, 0.9750021048517795],
    [-1.96, 0.024997895148220435],
    [3, 0.9986501019683699],
    [-5, 2.866515718791946e-7],
    [-8, 6.220960574271819e-16],
    [2.5758293035489, 0.995],
  ];
  for (const [x, p] of cases) close(normalCdf(x), p, 2e-7, `Φ(${x})`);
  assert.equal(normalCdf(Infinity), 1);
  assert.equal(normalCdf(-Infinity), 0);
  assert.ok(Number.isNaN(normalCdf(Number.NaN)));
  for (let x = -6; x <= 6; x += 0.25) close(normalCdf(x) + normalCdf(-x), 1, 1e-7, `symmetry at ${x}`);
});

test('twoProportionZTest: pooled z and two-sided p match statsmodels', () => {
  const cases: [number, number, number, number, number, number][] = [
    [45, 100, 60, 100, 2.1239769762143657, 0.033672068856345876],
    [200, 1000, 230, 1000, 1.632872212837632, 0.10249587537989269],
    [850, 1000, 880, 1000, 1.963049807622357, 0.0496403868653686],
    [10, 50, 3, 60, -2.4265580522558055, 0.015242811463591438],
  ];
  for (const [a, na, b, nb, z, p] of cases) {
    const r = twoProportionZTest(a, na, b, nb);
    close(r.z, z, 1e-12, `z ${a}/${na} vs ${b}/${nb}`);
    close(r.pValue, p, 1e-6, `p ${a}/${na} vs ${b}/${nb}`);
    close(r.difference, b / nb - a / na, 1e-12, 'difference');
  }
  // One-sided: only "B worse" counts.
  close(oneSidedGreater(twoProportionZTest(45, 100, 60, 100)), 0.033672068856345876 / 2, 1e-6, 'one-sided');
  assert.ok(oneSidedGreater(twoProportionZTest(60, 100, 45, 100)) > 0.9);
});

test('twoProportionZTest: degenerate inputs give z 0 and p 1 rather than NaN', () => {
  for (const [a, na, b, nb] of [[0, 0, 5, 10], [5, 10, 0, 0], [0, 100, 0, 100], [100, 100, 50, 50]]) {
    const r = twoProportionZTest(a, na, b, nb);
    assert.equal(r.z, 0);
    assert.equal(r.pValue, 1);
    assert.equal(oneSidedGreater(r), 1);
  }
});

test('labelHomogeneity matches SciPy chi2_contingency (no continuity correction)', () => {
  const r = labelHomogeneity({ ham: 300, spam: 600, other: 100 }, { ham: 80, spam: 100, other: 20 });
  close(r.statistic, 8.1203007518797, 1e-10, 'statistic');
  assert.equal(r.df, 2);
  close(r.pValue, 0.017246425472900912, 1e-6, 'p');
  const two = labelHomogeneity({ ham: 700, spam: 300 }, { ham: 130, spam: 70 });
  close(two.statistic, 1.95376098990557, 1e-10, 'statistic 2x2');
  close(two.pValue, 0.16218214407944706, 1e-6, 'p 2x2');
  assert.deepEqual(labelHomogeneity({}, { a: 3 }), { statistic: 0, df: 0, pValue: 1 });
  assert.deepEqual(labelHomogeneity({ a: 5 }, { a: 3 }), { statistic: 0, df: 0, pValue: 1 });
});

test('totalVariation: half the L1 distance of the label shares', () => {
  assert.equal(totalVariation({ a: 50, b: 50 }, { a: 5, b: 5 }), 0);
  close(totalVariation({ a: 70, b: 30 }, { a: 40, b: 60 }), 0.3, 1e-12, 'tv');
  assert.equal(totalVariation({ a: 1 }, { b: 1 }), 1);
  assert.equal(totalVariation({}, { b: 1 }), 0);
});

test('LatencySketch: quantiles within one bucket (10 %) of the exact value, constant memory', () => {
  const rng = seededRng(3);
  const values: number[] = [];
  const sketch = new LatencySketch();
  for (let i = 0; i < 50_000; i++) {
    // Log-normal around 20 ms with a slow tail.
    const v = Math.exp(Math.log(20) + 0.6 * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()));
    values.push(v);
    sketch.add(v);
  }
  values.sort((a, b) => a - b);
  for (const q of [0.5, 0.9, 0.99, 0.999]) {
    const exact = values[Math.ceil(q * values.length) - 1];
    const estimate = sketch.quantile(q);
    assert.ok(estimate >= exact * 0.999 && estimate <= exact * 1.1 + 1e-9, `q${q}: ${estimate} vs ${exact}`);
  }
  assert.equal(sketch.count, 50_000);
  assert.ok(sketch.toJSON().buckets.length < 100);
  const copy = LatencySketch.fromJSON(JSON.parse(JSON.stringify(sketch.toJSON())));
  assert.equal(copy.quantile(0.99), sketch.quantile(0.99));
  assert.equal(new LatencySketch().quantile(0.99), 0);
});

test('LatencySketch: values beyond the range, zero, negative and NaN', () => {
  const s = new LatencySketch();
  s.add(0);
  s.add(-1);
  s.add(Number.NaN);
  s.add(5_000_000);
  assert.equal(s.count, 2);
  assert.equal(s.quantile(1), 5_000_000);
  assert.ok(s.quantile(0.5) <= 0.01);
});
