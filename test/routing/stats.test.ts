// Outcome statistics and A/B feedback without a store: shadow pairing in either order, bounded
// memory, snapshots, TTL and capacity of remembered predictions, the report's metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExperimentFeedback, OutcomeStats } from '../../src/routing/index.ts';
import { mergeSnapshots, summarize } from '../../src/routing/stats.ts';

test('shadow answers pair with their primary by request id, whichever arrives first', () => {
  const stats = new OutcomeStats();
  stats.observe('m', 'primary', { ok: true, latencyMs: 3, label: 'spam', requestId: 'a' });
  stats.observe('m', 'shadow', { ok: true, latencyMs: 30, label: 'spam', shadowOf: 'a' });
  stats.observe('m', 'shadow', { ok: true, latencyMs: 30, label: 'ham', shadowOf: 'b' });
  stats.observe('m', 'primary', { ok: true, latencyMs: 3, label: 'spam', requestId: 'b' });
  // A failed shadow is an error, not a disagreement.
  stats.observe('m', 'primary', { ok: true, latencyMs: 3, label: 'spam', requestId: 'c' });
  stats.observe('m', 'shadow', { ok: false, latencyMs: 1000, shadowOf: 'c' });
  const s = stats.summary('m');
  assert.equal(s.shadow.compared, 2);
  assert.equal(s.shadow.agreementRate, 0.5);
  assert.equal(s.shadow.errors, 1);
  assert.equal(s.primary.requests, 3);
  assert.equal(s.primary.compared, undefined);
});

test('unpaired answers are bounded: the oldest are dropped first', () => {
  const stats = new OutcomeStats({ pairCapacity: 100 });
  for (let i = 0; i < 1_000; i++) stats.observe('m', 'primary', { ok: true, latencyMs: 1, label: 'x', requestId: `r${i}` });
  stats.observe('m', 'shadow', { ok: true, latencyMs: 1, label: 'x', shadowOf: 'r0' });
  stats.observe('m', 'shadow', { ok: true, latencyMs: 1, label: 'x', shadowOf: 'r999' });
  assert.equal(stats.summary('m').shadow.compared, 1);
});

test('label sets are capped; snapshots round-trip; reset forgets one endpoint only', () => {
  const stats = new OutcomeStats();
  for (let i = 0; i < 1_000; i++) stats.observe('m', 'candidate', { ok: true, latencyMs: i % 50, label: `free text ${i}` });
  stats.observe('other', 'stable', { ok: false, latencyMs: 2 });
  const labels = stats.summary('m').candidate.labels;
  assert.equal(Object.keys(labels).length, 257);
  assert.equal(labels['(other)'], 1_000 - 256);
  assert.deepEqual(summarize(JSON.parse(JSON.stringify(stats.snapshot('m')))), stats.summary('m'));
  stats.reset('m');
  assert.deepEqual(stats.summary('m'), {});
  assert.equal(stats.summary('other').stable.errorRate, 1);
});

test('replicas\' snapshots add up to the counts of one process that saw all the traffic', () => {
  const all = new OutcomeStats();
  const parts = [new OutcomeStats(), new OutcomeStats(), new OutcomeStats()];
  for (let i = 0; i < 3_000; i++) {
    const arm = i % 4 === 0 ? 'candidate' : 'stable';
    const outcome = { ok: i % 7 !== 0, latencyMs: (i * 37) % 500, label: i % 3 === 0 ? 'spam' : 'ham', requestId: `r${i}`, oodScored: 1, oodOut: i % 9 === 0 ? 1 : 0 };
    all.observe('m', arm, outcome);
    parts[i % 3].observe('m', arm, outcome);
    // Each shadow answer reaches the replica that answered its primary.
    if (i % 5 === 0) {
      const shadow = { ok: true, latencyMs: 5, label: i % 2 === 0 ? 'spam' : 'ham', shadowOf: `r${i}` };
      all.observe('m', 'shadow', shadow);
      parts[i % 3].observe('m', 'shadow', shadow);
    }
  }
  const merged = mergeSnapshots(parts.map((p) => JSON.parse(JSON.stringify(p.snapshot('m')))));
  assert.deepEqual(summarize(merged), all.summary('m'));
  assert.equal(summarize(merged).candidate.requests, 750);
  assert.ok(summarize(merged).shadow.compared! > 0);
  assert.ok(summarize(merged).candidate.oodShare! > 0, 'OOD counts are summed too');
  assert.deepEqual(mergeSnapshots([]), {});
});

test('merged label sets keep the cap: labels past it fold into (other)', () => {
  const a = new OutcomeStats();
  const b = new OutcomeStats();
  for (let i = 0; i < 200; i++) a.observe('m', 'candidate', { ok: true, latencyMs: 1, label: `a${i}` });
  for (let i = 0; i < 200; i++) b.observe('m', 'candidate', { ok: true, latencyMs: 1, label: `b${i}` });
  const labels = summarize(mergeSnapshots([a.snapshot('m'), b.snapshot('m')])).candidate.labels;
  assert.equal(Object.keys(labels).length, 257);
  assert.equal(labels['(other)'], 400 - 256);
});

test('feedback: unknown, duplicate and expired labels are refused; capacity evicts the oldest', () => {
  let now = 0;
  const fb = new ExperimentFeedback({ capacity: 3, ttlMs: 1_000, now: () => now });
  fb.recordPrediction('m', 'a', 'variant:x', 'spam');
  fb.recordPrediction('m', 'b', 'variant:x', 'ham');
  fb.recordPrediction('m', 'c', 'variant:y', 'spam');
  fb.recordPrediction('m', 'd', 'variant:y', 'ham');
  assert.equal(fb.feedback('m', 'a', 'spam'), 'unknown');
  assert.equal(fb.feedback('other', 'b', 'ham'), 'unknown');
  assert.equal(fb.feedback('m', 'b', 'ham'), 'accepted');
  assert.equal(fb.feedback('m', 'b', 'ham'), 'duplicate');
  now = 1_001;
  assert.equal(fb.feedback('m', 'c', 'spam'), 'expired');
  assert.equal(fb.feedback('m', 'c', 'spam'), 'unknown');
});

test('report: accuracy, precision, recall and F1 per variant; nulls where undefined', () => {
  const fb = new ExperimentFeedback();
  const pairs: [string, string, string][] = [
    // arm, predicted, truth
    ['variant:a', 'spam', 'spam'], ['variant:a', 'spam', 'ham'], ['variant:a', 'ham', 'spam'], ['variant:a', 'ham', 'ham'],
    ['variant:b', 'spam', 'spam'], ['variant:b', 'spam', 'spam'], ['variant:b', 'ham', 'ham'], ['variant:b', 'spam', 'ham'],
  ];
  pairs.forEach(([arm, predicted, truth], i) => {
    fb.recordPrediction('m', `r${i}`, arm, predicted);
    fb.feedback('m', `r${i}`, truth);
  });
  const variants = [{ name: 'a', version: '1', weight: 1 }, { name: 'b', version: '2', weight: 1 }, { name: 'c', version: '3', weight: 1 }];
  const stats = { 'variant:a': { requests: 10, errors: 1, errorRate: 0.1, p50Ms: 1, p99Ms: 2, labels: {}, oodScored: 0 } };
  const report = fb.report('m', variants, stats, 'spam');
  const [a, b, c] = report.variants;
  assert.deepEqual([a.requests, a.errors, a.labelled, a.accuracy, a.precision, a.recall, a.f1], [10, 1, 4, 0.5, 0.5, 0.5, 0.5]);
  assert.deepEqual([b.labelled, b.accuracy, b.precision, b.recall], [4, 0.75, 2 / 3, 1]);
  assert.ok(Math.abs((b.f1 ?? 0) - 0.8) < 1e-12);
  assert.deepEqual([c.requests, c.labelled, c.accuracy, c.precision], [0, 0, null, null]);
  assert.equal(report.comparisons.length, 2);
  assert.equal(report.comparisons[1].pValue, 1);
  const noPositive = fb.report('m', variants, stats);
  assert.equal(noPositive.variants[0].precision, null);
  assert.equal(noPositive.variants[0].f1, null);
});
