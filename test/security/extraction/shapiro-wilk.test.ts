// Shapiro-Wilk (Royston's approximation) against published and reference values: the 11 weights of
// Shapiro & Wilk (1965), and samples checked with scipy.stats.shapiro 1.17 (the same AS R94 algorithm).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalCdf, normalQuantile, shapiroWilk } from '../../../src/security/extraction/shapiro-wilk.ts';

const close = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} differs from ${expected} by more than ${tol}`);

describe('Shapiro-Wilk', () => {
  it('gives W = 0.79 for the weights of Shapiro & Wilk (1965), as the paper does (0.7888 in AS R94)', () => {
    const r = shapiroWilk([148, 154, 158, 160, 161, 162, 166, 170, 182, 195, 236]);
    close(r.w, 0.79, 0.005, 'W against the paper');
    close(r.w, 0.7888146948631716, 1e-9, 'W against scipy');
    close(r.p, 0.006703814061898823, 1e-6, 'p against scipy');
  });

  const reference: [string, number[], number, number][] = [
    ['n = 3 (exact p)', [1, 2, 4], 0.9642857142857142, 0.6368868450289689],
    ['n = 4', [1, 2, 3, 4], 0.9929120069984326, 0.9718770585603881],
    ['n = 5', [2.1, 3.4, 1.9, 5.6, 4.4], 0.9320849391953863, 0.6106559022604845],
    ['n = 20', Array.from({ length: 20 }, (_, i) => ((i * 7919) % 23) / 3), 0.9577049562581803, 0.49908233434510896],
    ['n = 50, exponential (far from normal)', Array.from({ length: 50 }, (_, i) => Math.exp(i / 10)), 0.7640651516946759, 1.4308685623558908e-7],
    ['n = 200', Array.from({ length: 200 }, (_, i) => Math.sin(i * 1.3) + i / 100), 0.9854311261442605, 0.03703293880145059],
  ];
  for (const [name, sample, w, p] of reference) {
    it(`matches scipy for ${name}`, () => {
      const r = shapiroWilk(sample);
      close(r.w, w, 1e-7, 'W');
      close(r.p, p, Math.max(1e-6, p * 1e-4), 'p');
      assert.equal(r.n, sample.length);
    });
  }

  it('does not depend on order, location or scale', () => {
    const base = [3.1, 0.2, 5.5, 2.2, 9.1, 4.4, 4.0, 1.7, 6.3, 2.9, 3.3, 7.7];
    const a = shapiroWilk(base).w;
    close(shapiroWilk([...base].reverse()).w, a, 1e-12, 'reversed');
    close(shapiroWilk(base.map((x) => 1000 + 0.01 * x)).w, a, 1e-9, 'shifted and scaled');
  });

  it('calls a constant sample as far from normal as possible, and refuses too few or too many values', () => {
    assert.deepEqual(shapiroWilk([2, 2, 2, 2]), { w: 0, p: 0, n: 4 });
    assert.throws(() => shapiroWilk([1, 2]), RangeError);
    assert.throws(() => shapiroWilk(new Float64Array(5001)), RangeError);
  });
});

describe('normal distribution helpers', () => {
  it('quantiles agree with scipy.stats.norm.ppf', () => {
    const ps = [1e-10, 0.001, 0.025, 0.5, 0.9, 0.975, 0.999999];
    const expected = [-6.361340902404056, -3.090232306167813, -1.9599639845400545, 0, 1.2815515655446004, 1.959963984540054, 4.753424308817087];
    ps.forEach((p, i) => close(normalQuantile(p), expected[i], 1e-9, `ppf(${p})`));
    assert.equal(normalQuantile(0), -Infinity);
    assert.throws(() => normalQuantile(1.5), RangeError);
  });

  it('the CDF inverts the quantile to 1e-7', () => {
    for (const p of [0.001, 0.1, 0.5, 0.8, 0.999]) close(normalCdf(normalQuantile(p)), p, 1e-7, `cdf(ppf(${p}))`);
  });
});
