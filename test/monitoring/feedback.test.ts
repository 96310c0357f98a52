// FeedbackTracker: labels by request id (single and batch; unknown, expired and duplicate ids refused),
// bounded memory, rolling metrics against the manifest's validation metrics, and the decay signal.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FeedbackTracker, referenceFromManifest, type FeedbackConfigInput, type FeedbackStatus } from '../../src/monitoring/feedback/index.ts';
import { isModelGateError } from '../../src/errors.ts';
import { prng, spamManifest } from './fixtures.ts';

const reference = referenceFromManifest(spamManifest().metrics);

function tracker(config: FeedbackConfigInput = {}, clock = { t: 0 }, onDecay?: (s: FeedbackStatus) => void) {
  return new FeedbackTracker({ reference, config, now: () => clock.t, onDecay });
}

/** n labelled predictions whose predicted label is right with probability `accuracy`. */
function feed(t: FeedbackTracker, n: number, accuracy: number, seed: number, prefix: string): void {
  const rand = prng(seed);
  for (let i = 0; i < n; i++) {
    const truth = rand() < 0.3 ? 'spam' : 'ham';
    const predicted = rand() < accuracy ? truth : truth === 'spam' ? 'ham' : 'spam';
    t.recordPrediction(`${prefix}${i}`, predicted);
    assert.equal(t.addLabel(`${prefix}${i}`, truth), 'accepted');
  }
}

describe('FeedbackTracker', () => {
  it('reads the reference from the spam filter manifest', () => {
    assert.equal(reference.positiveLabel, 'spam');
    assert.ok(reference.accuracy! > 0.99 && reference.f1! > 0.98);
    assert.throws(() => referenceFromManifest({ accuracy: 0.9 }), (e) => isModelGateError(e) && e.code === 'MG_PACKAGE_INVALID');
  });

  it('a metric hovering at the threshold gives one decay signal; the verdict clears within half the allowed drop', () => {
    const signals: FeedbackStatus[] = [];
    // A window larger than the sequence: accuracy is cumulative, so each step below is exact.
    const t = new FeedbackTracker({
      reference: { positiveLabel: 'spam', accuracy: 0.9 },
      config: { windowSize: 1000, minLabelled: 100, maxDrop: 0.05, metrics: ['accuracy'] },
      onDecay: (st) => signals.push(st),
    });
    let n = 0;
    const label = (right: number, wrong: number) => {
      for (let i = 0; i < right + wrong; i++, n++) {
        t.recordPrediction(`h${n}`, 'spam');
        t.addLabel(`h${n}`, i < right ? 'spam' : 'ham');
      }
    };
    label(84, 16); // 84/100 = 0.840: drop 0.060 > 0.05
    assert.equal(signals.length, 1);
    assert.ok(t.current().decayed);
    label(15, 0); // 99/115 = 0.861: drop 0.039, under 0.05 but not under 0.025
    assert.ok(t.current().decayed, 'still decayed: not back within half the allowed drop');
    assert.deepEqual(t.current().drops, [], 'drops list only the metrics beyond maxDrop itself');
    label(0, 4); // 99/119 = 0.832: across the threshold again
    assert.equal(signals.length, 1, 'no second signal while it stays decayed');
    label(42, 0); // 141/161 = 0.876: drop 0.024, recovered
    assert.equal(t.current().decayed, false);
    assert.deepEqual(t.current().drops, []);
    label(0, 12); // 141/173 = 0.815: decays again, a new signal
    assert.equal(signals.length, 2);
    assert.equal(signals[1].drops[0].metric, 'accuracy');
  });

  it('computes confusion-based metrics exactly', () => {
    const t = tracker({ windowSize: 10, minLabelled: 1 });
    const pairs = [['spam', 'spam'], ['spam', 'ham'], ['ham', 'spam'], ['ham', 'ham'], ['spam', 'spam']];
    pairs.forEach(([p, truth], i) => {
      t.recordPrediction(`r${i}`, p);
      t.addLabel(`r${i}`, truth);
    });
    const m = t.current().metrics;
    // tp 2, fp 1, fn 1, tn 1
    assert.deepEqual(m, { accuracy: 3 / 5, precision: 2 / 3, recall: 2 / 3, f1: 2 / 3 });
  });

  it('reports unknown, expired and duplicate ids, singly and in a batch', () => {
    const clock = { t: 0 };
    const t = tracker({ ttlMs: 1000 }, clock);
    t.recordPrediction('old', 'ham');
    clock.t = 500;
    t.recordPrediction('a', 'spam');
    t.recordPrediction('b', 'ham');
    clock.t = 1200;
    assert.equal(t.addLabel('a', 'spam'), 'accepted');
    assert.equal(t.addLabel('a', 'spam'), 'duplicate');
    const batch = t.addLabels([{ requestId: 'b', label: 'ham' }, { requestId: 'old', label: 'ham' }, { requestId: 'nope', label: 'spam' }, { requestId: 'b', label: 'spam' }]);
    assert.deepEqual(batch, { accepted: 1, unknown: ['nope'], expired: ['old'], duplicate: ['b'] });
    assert.equal(t.current().totalLabelled, 2);
    assert.throws(() => t.recordPrediction('a', 'ham'), (e) => isModelGateError(e) && e.code === 'MG_CONFLICT');
  });

  it('forgets the oldest predictions beyond capacity', () => {
    const t = tracker({ capacity: 3 });
    for (const id of ['1', '2', '3', '4']) t.recordPrediction(id, 'ham');
    assert.equal(t.addLabel('1', 'ham'), 'unknown');
    assert.equal(t.addLabel('4', 'ham'), 'accepted');
  });

  it('does not judge before minLabelled labels, then stays quiet at the validated quality', () => {
    const t = tracker({ windowSize: 500, minLabelled: 200 });
    feed(t, 199, 0.6, 1, 'x');
    assert.deepEqual([t.current().judged, t.current().decayed], [false, false]);
    const healthy = tracker({ windowSize: 500, minLabelled: 200 });
    feed(healthy, 1000, 0.995, 2, 'h');
    const s = healthy.current();
    assert.equal(s.judged, true);
    assert.equal(s.labelled, 500);
    assert.deepEqual(s.drops, []);
    assert.deepEqual(healthy.history().map((w) => w.window), [1, 2]);
  });

  it('raises decay once when a metric drops past the threshold, naming the metrics', () => {
    const signals: FeedbackStatus[] = [];
    const t = tracker({ windowSize: 300, minLabelled: 200, maxDrop: 0.05 }, { t: 0 }, (s) => signals.push(s));
    feed(t, 300, 0.995, 3, 'good');
    assert.equal(signals.length, 0);
    feed(t, 300, 0.85, 4, 'bad');
    assert.equal(signals.length, 1, 'one signal on the transition, not one per label');
    const s = t.current();
    assert.equal(s.decayed, true);
    assert.ok(s.drops.some((d) => d.metric === 'accuracy' && d.drop > 0.05), JSON.stringify(s.drops));
    assert.deepEqual(t.history().map((w) => w.decayed), [false, true]);
  });
});
