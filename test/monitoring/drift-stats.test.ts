// The drift statistics against published or hand-computed values (SciPy 1.17 for the special functions
// and tests: scipy.special.gammainc/gammaincc, stats.chi2.sf, stats.kstwobign.sf, stats.chisquare,
// stats.kstest, spatial.distance.jensenshannon).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  adjustPValues, baselineCdf, chiSquareSurvival, chiSquareTest, gammaP, gammaQ, jensenShannonDistance, kolmogorovSurvival,
  ksStatistic, ksTest, logGamma, psi,
} from '../../src/monitoring/drift/index.ts';
import { gaussian, prng, summaryOf, UNIT_EDGES } from './fixtures.ts';

const close = (actual: number, expected: number, tol = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${actual} != ${expected}`);

describe('special functions', () => {
  it('log-gamma and the regularised incomplete gamma match SciPy', () => {
    close(logGamma(5), Math.log(24));
    close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)));
    close(gammaP(0.5, 2), 0.9544997361036415);
    close(gammaQ(3, 2.5), 0.5438131158833297);
    close(gammaP(10, 3), 0.0011024881301154815, 1e-11);
    close(gammaQ(100, 90), 0.84177901081357, 1e-11);
    close(gammaP(4, 7) + gammaQ(4, 7), 1);
    assert.equal(gammaP(2, 0), 0);
    assert.ok(Number.isNaN(gammaP(-1, 1)));
  });

  it('chi-square survival matches SciPy chi2.sf', () => {
    close(chiSquareSurvival(3.84, 1), 0.05004352124870519);
    close(chiSquareSurvival(10, 3), 0.01856613546304325);
    close(chiSquareSurvival(2, 5), 0.8491450360846096);
    assert.equal(chiSquareSurvival(0, 4), 1);
  });

  it('the Kolmogorov distribution matches SciPy kstwobign.sf, on both sides of the series switch', () => {
    close(kolmogorovSurvival(0.5), 0.9639452436648751);
    close(kolmogorovSurvival(1), 0.26999967167735456);
    close(kolmogorovSurvival(1.36), 0.049485876755377876);
    close(kolmogorovSurvival(2), 0.0006709252557796953);
    close(kolmogorovSurvival(1.1799999), kolmogorovSurvival(1.18), 1e-6);
    assert.equal(kolmogorovSurvival(0), 1);
  });
});

describe('tests and distances', () => {
  const uniform = { at: (x: number) => Math.min(1, Math.max(0, x)), before: (x: number) => Math.min(1, Math.max(0, x)) };

  it('KS statistic against a known CDF matches SciPy kstest', () => {
    // stats.kstest([0.05, 0.15, ..., 0.95], 'uniform').statistic = 0.15
    close(ksStatistic(Float64Array.from([0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.85, 0.9, 0.95]), uniform), 0.15);
    const r = ksTest(Float64Array.from([0.1, 0.2, 0.3, 0.9, 0.95]), uniform);
    close(r.statistic, 0.3);
    // Stephens' corrected λ = (√5 + 0.12 + 0.11/√5)·0.3; asymptotic SciPy p at √5·0.3 is 0.759.
    assert.ok(r.pValue > 0.6 && r.pValue < 0.76, `p ${r.pValue}`);
    // Ties: ten copies of 0.5 against U(0,1): the jump of the empirical CDF gives D = 0.5.
    close(ksStatistic(new Float64Array(10).fill(0.5), uniform), 0.5);
  });

  it('the baseline CDF from a summary follows the data within 1% and handles point masses', () => {
    const rand = prng(7);
    const values = Array.from({ length: 5000 }, () => rand() ** 2);
    const cdf = baselineCdf(summaryOf(values, UNIT_EDGES));
    for (const x of [0.01, 0.1, 0.25, 0.5, 0.9]) close(cdf.at(x), Math.sqrt(x), 0.012);
    assert.equal(cdf.before(-1), 0);
    assert.equal(cdf.at(2), 1);
    const zeros = baselineCdf(summaryOf([...new Array(990).fill(0), ...Array.from({ length: 10 }, (_, i) => 0.1 * (i + 1))], UNIT_EDGES));
    assert.equal(zeros.before(0), 0);
    // True F(0) = 0.99; the percentile grid pins it to within one step of 1%.
    close(zeros.at(0), 0.99, 0.011);
  });

  it('KS against a baseline summary: same distribution passes, a shifted one fails', () => {
    const normal = gaussian(prng(11));
    const edges = Array.from({ length: 21 }, (_, i) => -5 + i * 0.5);
    const base = summaryOf(Array.from({ length: 5000 }, normal), edges);
    const cdf = baselineCdf(base);
    const same = Float64Array.from({ length: 500 }, normal).sort();
    const shifted = Float64Array.from({ length: 500 }, () => normal() + 0.3).sort();
    assert.ok(ksTest(same, cdf, base.count).pValue > 0.05);
    assert.ok(ksTest(shifted, cdf, base.count).pValue < 1e-4);
  });

  it('PSI matches a hand computation and floors empty bins', () => {
    // (0.2-0.1)ln2 + (0.2-0.3)ln(2/3) = 0.109861
    close(psi([10, 20, 30, 40], [20, 20, 20, 40]), 0.10986122886681095);
    assert.equal(psi([1, 2, 3], [2, 4, 6]), 0);
    const empty = psi([50, 50, 0], [50, 0, 50]);
    assert.ok(Number.isFinite(empty) && empty > 1);
  });

  it('Jensen-Shannon distance matches SciPy (base 2)', () => {
    close(jensenShannonDistance([0.5, 0.5], [0.9, 0.1]), 0.3831358798599423);
    close(jensenShannonDistance([1, 0], [0, 1]), 1);
    close(jensenShannonDistance([1, 2, 7], [3, 3, 4]), 0.2736668758986993);
    assert.equal(jensenShannonDistance([3, 1], [6, 2]), 0);
  });

  it('chi-square goodness of fit matches SciPy chisquare', () => {
    const dice = chiSquareTest({ a: 16, b: 18, c: 16, d: 14, e: 12, f: 12 }, { a: 1 / 6, b: 1 / 6, c: 1 / 6, d: 1 / 6, e: 1 / 6, f: 1 / 6 });
    close(dice.statistic, 2);
    assert.equal(dice.df, 5);
    close(dice.pValue, 0.8491450360846096);
    const four = chiSquareTest({ w: 43, x: 52, y: 54, z: 40 }, { w: 0.25, x: 0.25, y: 0.25, z: 0.25 });
    close(four.statistic, 2.9365079365079363);
    close(four.pValue, 0.4015183527259283, 1e-10);
    // A class the baseline never predicted is drift, with a finite statistic.
    const unseen = chiSquareTest({ ham: 90, spam: 5, other: 5 }, { ham: 0.9, spam: 0.1 });
    assert.ok(Number.isFinite(unseen.statistic) && unseen.pValue < 1e-6);
  });

  it('Bonferroni and Holm adjust as in the textbook example', () => {
    const p = [0.01, 0.04, 0.03, 0.005];
    assert.deepEqual(adjustPValues(p, 'bonferroni'), [0.04, 0.16, 0.12, 0.02]);
    // Holm: sorted 0.005·4, 0.01·3, 0.03·2, 0.04·1, then running maximum.
    adjustPValues(p, 'holm').forEach((a, i) => close(a, [0.03, 0.06, 0.06, 0.02][i]));
    assert.deepEqual(adjustPValues(p, 'none'), p);
    assert.deepEqual(adjustPValues([], 'holm'), []);
  });
});
