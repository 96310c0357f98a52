// The canary analysis on simulated steps: with the default thresholds a candidate as good as the
// stable version passes (false rollbacks are rare), and each kind of bad candidate fails on its check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseCanary, ArmStats, parseCanaryConfig, seededRng, type ArmSummary, type Rng } from '../../src/routing/index.ts';

const { thresholds } = parseCanaryConfig({});

function arm(rng: Rng, n: number, errorRate: number, spamRate: number, latencyMs: number): ArmSummary {
  const stats = new ArmStats();
  for (let i = 0; i < n; i++) {
    const ok = rng() >= errorRate;
    stats.add({ ok, latencyMs: latencyMs * (0.5 + rng()), ...(ok ? { label: rng() < spamRate ? 'spam' : 'ham' } : {}) });
  }
  return stats.summary();
}

test('defaults: 1,000 steps with a candidate equal to stable (200 vs 3,800 requests) pass at least 99 % of the time', () => {
  const rng = seededRng(77);
  let failed = 0;
  for (let run = 0; run < 1_000; run++) {
    const stable = arm(rng, 3_800, 0.01, 0.3, 10);
    const candidate = arm(rng, 200, 0.01, 0.3, 10);
    if (!analyseCanary(stable, candidate, thresholds).pass) failed++;
  }
  assert.ok(failed <= 10, `${failed} false rollbacks in 1,000`);
});

test('each bad candidate fails on its own check, with the numbers', () => {
  const rng = seededRng(78);
  const stable = arm(rng, 3_800, 0.01, 0.3, 10);
  const errors = analyseCanary(stable, arm(rng, 200, 0.1, 0.3, 10), thresholds);
  assert.equal(errors.pass, false);
  assert.equal(errors.failures.length, 1);
  assert.match(errors.failures[0], /^error rate/);
  const labels = analyseCanary(stable, arm(rng, 200, 0.01, 0.6, 10), thresholds);
  assert.deepEqual(labels.failures.map((f) => f.split(' ')[0]), ['label']);
  assert.ok(labels.disagreement > 0.2 && labels.disagreementPValue < 1e-6);
  const slow = analyseCanary(stable, arm(rng, 200, 0.01, 0.3, 30), thresholds);
  assert.deepEqual(slow.failures.map((f) => f.split(' ')[0]), ['p99']);
  assert.ok((slow.p99Ratio ?? 0) > 2);
  const drift = analyseCanary(stable, arm(rng, 200, 0.01, 0.3, 10), thresholds, { drift: true });
  assert.deepEqual(drift.failures, ['the drift monitor flags the candidate']);
});

test('a candidate whose step traffic is out of distribution beyond maxOodShare fails as a security verdict; a few odd rows do not', () => {
  const rng = seededRng(80);
  const stable = arm(rng, 3_800, 0.01, 0.3, 10);
  const withOod = (share: number, rows: number): ArmSummary => {
    const stats = new ArmStats();
    for (let i = 0; i < rows; i++) stats.add({ ok: true, latencyMs: 10 * (0.5 + rng()), label: rng() < 0.3 ? 'spam' : 'ham', oodScored: 1, oodOut: i < share * rows ? 1 : 0 });
    return stats.summary();
  };
  const probed = analyseCanary(stable, withOod(0.3, 200), thresholds);
  assert.deepEqual(probed.failures, ['a security detector flags traffic to the candidate: 30.00% of its requests are out of distribution, above 10.00%']);
  assert.equal(analyseCanary(stable, withOod(0.02, 200), thresholds).pass, true, 'the baseline allows about 1 %');
  assert.equal(analyseCanary(stable, withOod(1, 19), thresholds).pass, true, 'fewer than 20 scored requests are not judged');
});

test('a p99 ratio over the limit is tolerated when the absolute difference is under minP99DeltaMs', () => {
  const rng = seededRng(79);
  const result = analyseCanary(arm(rng, 1_000, 0, 0.3, 0.5), arm(rng, 200, 0, 0.3, 1.5), thresholds);
  assert.ok((result.p99Ratio ?? 0) > thresholds.maxP99Ratio);
  assert.equal(result.pass, true);
});

test('canary config: defaults, and refusals', () => {
  const config = parseCanaryConfig(undefined);
  assert.deepEqual(config.steps, [5, 25, 50, 100]);
  assert.equal(config.bakeMs, 600_000);
  assert.equal(config.minRequests, 200);
  assert.deepEqual(config.thresholds, { maxErrorRateDelta: 0.01, maxP99Ratio: 1.5, minP99DeltaMs: 5, maxDisagreement: 0.05, alpha: 0.001, maxOodShare: 0.1 });
  for (const bad of [{ steps: [] }, { steps: [0, 50] }, { steps: [50, 50] }, { steps: [10, 120] }, { thresholds: { maxP99Ratio: 0.5 } }, { bakeMs: -1 }, { extra: 1 }]) {
    assert.throws(() => parseCanaryConfig(bad), { code: 'MG_INVALID_REQUEST' }, JSON.stringify(bad));
  }
});
