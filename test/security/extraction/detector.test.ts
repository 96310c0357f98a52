// The detector's parts on synthetic streams: each signal trips on what it is meant to and not on its
// benign counterpart, the ladder escalates, persists and cools down, memory stays bounded (LRU, rings),
// and block / throttle / degrade are enforced. Clocks are injected; nothing sleeps.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ExtractionDetector, lowMarginShareFromHistogram, parseExtractionSettings, type ExtractionEvent, type ExtractionSettingsInput, type Level,
} from '../../../src/security/extraction/index.ts';
import { cellOf, distance, numericFeatures, textFeatures } from '../../../src/security/extraction/features.ts';
import { probabilityRows, rowVectors } from '../../../src/security/extraction/queries.ts';
import { DistinctWindow, LruMap, NumberWindow, ShareWindow, TimeBuckets } from '../../../src/security/extraction/windows.ts';
import { outputPolicySchema } from '../../../src/security/output-policy.ts';
import { isModelGateError } from '../../../src/errors.ts';
import type { Tensor } from '../../../src/protocol/index.ts';
import { seededRandom } from './attack-kit.ts';

const FEATURES = { hashBits: 12, maxNonZero: 64 };
const textRow = (s: string): Tensor[] => [{ name: 'text', datatype: 'BYTES', shape: [1], data: [s] }];
const vecRow = (v: number[]): Tensor[] => [{ name: 'x', datatype: 'FP32', shape: [1, v.length], data: Float32Array.from(v) }];

function harness(input: ExtractionSettingsInput = {}, floor?: (principal: string, model: string) => Level) {
  let now = 1_700_000_000_000;
  const events: ExtractionEvent[] = [];
  const detector = new ExtractionDetector(parseExtractionSettings(input), { clock: () => now, onEscalation: (e) => events.push(e), floor });
  return { detector, events, tick: (ms: number) => (now += ms) };
}

/** Natural-looking numeric queries: points from a few Gaussian clusters. */
function naturalVectors(seed: number): () => number[] {
  const rnd = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  return () => Array.from({ length: 8 }, () => gauss());
}

describe('features', () => {
  it('hashes text into a unit vector whose distances reflect shared words', () => {
    const a = textFeatures('cheap pills buy now cheap', FEATURES);
    const b = textFeatures('CHEAP pills, buy now! cheap', FEATURES);
    const c = textFeatures('meeting notes for the quarterly review', FEATURES);
    let norm = 0;
    for (const v of a.val) norm += v * v;
    assert.ok(Math.abs(norm - 1) < 1e-6);
    assert.ok(distance(a, b) < 0.6 && distance(a, c) > 1.3, `${distance(a, b)} ${distance(a, c)}`);
    assert.equal(distance(a, a), 0);
    assert.equal(cellOf(a, 12), cellOf(textFeatures('cheap pills buy now cheap', FEATURES), 12));
  });

  it('keeps at most maxNonZero entries, and standardises numeric rows with a given scale', () => {
    const long = Array.from({ length: 500 }, (_, i) => `w${i}`).join(' ');
    assert.equal(textFeatures(long, { hashBits: 12, maxNonZero: 16 }).idx.length, 16);
    const v = numericFeatures([10, 20, NaN], FEATURES, { mean: [10, 10], std: [1, 5] });
    assert.deepEqual(Array.from(v.idx), [1]);
    assert.deepEqual(Array.from(v.val), [2]);
  });

  it('splits request tensors into one vector per row, and reads probability tensors of either shape', () => {
    assert.equal(rowVectors([{ name: 't', datatype: 'BYTES', shape: [3], data: ['a', 'b', 'c'] }], FEATURES).length, 3);
    const numeric = rowVectors([{ name: 'x', datatype: 'FP32', shape: [2, 2], data: Float32Array.from([1, 0, 0, 3]) }], FEATURES);
    assert.deepEqual(numeric.map((v) => Array.from(v.idx)), [[0], [1]]);
    assert.deepEqual(probabilityRows({ name: 'p', datatype: 'FP32', shape: [2, 2], data: Float32Array.from([0.25, 0.75, 1, 0]) }), [[0.25, 0.75], [1, 0]]);
    assert.deepEqual(probabilityRows({ name: 'p', datatype: 'FP64', shape: [1], data: Float64Array.from([0.25]) }), [[0.75, 0.25]]);
  });
});

describe('bounded windows', () => {
  it('TimeBuckets forgets counts older than the window and ignores a clock going backwards', () => {
    const w = new TimeBuckets(60_000, 6);
    w.add(0, 5);
    w.add(30_000, 2);
    assert.equal(w.total(59_000), 7);
    assert.equal(w.total(75_000), 2, 'the first bucket left the window');
    w.add(10_000, 1); // clock stepped back: counted now, nothing cleared
    assert.equal(w.total(75_000), 3);
    assert.equal(w.total(10_000_000), 0);
  });

  it('DistinctWindow, ShareWindow and NumberWindow keep only the last N', () => {
    const d = new DistinctWindow(3);
    for (const x of [1, 1, 2, 3, 4]) d.push(x);
    assert.deepEqual([d.size, d.distinct], [3, 3]);
    d.push(4);
    d.push(4);
    assert.equal(d.distinct, 1);
    const s = new ShareWindow(4);
    for (const x of [true, true, false, false, false, false]) s.push(x);
    assert.deepEqual([s.size, s.hits], [4, 0]);
    const n = new NumberWindow(3);
    for (const x of [1, 2, 3, 4]) n.push(x);
    assert.deepEqual(Array.from(n.values()).sort(), [2, 3, 4]);
  });

  it('LruMap evicts the least recently used, and peek does not refresh', () => {
    const m = new LruMap<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    m.get('a');
    assert.deepEqual(m.set('c', 3), ['b', 2]);
    m.peek('a');
    assert.deepEqual(m.set('d', 4), ['a', 1]);
    assert.equal(m.size, 2);
  });
});

describe('signals', () => {
  it('volume trips at maxQueries rows per window and recovers when the window slides', () => {
    const { detector, tick } = harness({ volume: { maxQueries: 100, windowMs: 60_000, buckets: 6 } });
    let last;
    for (let i = 0; i < 100; i++) last = detector.observe({ principal: 'p', model: 'm', inputs: textRow(`hello ${i % 3}`), probabilities: [[0.99, 0.01]] });
    assert.equal(last!.signals.volume.tripped, true);
    assert.equal(last!.level, 'suspect');
    tick(120_000);
    last = detector.observe({ principal: 'p', model: 'm', inputs: textRow('hello'), probabilities: [[0.99, 0.01]] });
    assert.equal(last.signals.volume.value, 1);
    assert.equal(last.level, 'suspect', 'levels are sticky until the cooldown');
  });

  it('low-margin share trips on boundary probing but not on a benign share of hard cases', () => {
    const run = (lowEvery: number) => {
      const { detector } = harness();
      let last;
      for (let i = 0; i < 200; i++) {
        const p = i % lowEvery === 0 ? 0.55 : 0.02;
        last = detector.observe({ principal: 'p', model: 'm', inputs: textRow(`mail ${i} about topic ${i % 7}`), probabilities: [[1 - p, p]] });
      }
      return last!.signals.lowMargin;
    };
    const probing = run(5);
    const benign = run(100);
    assert.equal(probing.tripped, true, JSON.stringify(probing));
    assert.equal(benign.tripped, false, JSON.stringify(benign));
    assert.ok(Math.abs(probing.threshold - 0.06) < 1e-9, 'threshold: 3x the benign 2%, above the z bound at n = 200');
  });

  it('a model profile raises the benign low-margin share (never below the setting)', () => {
    const { detector } = harness();
    detector.setProfile('hard', { benignLowMarginShare: 0.2 });
    let last;
    for (let i = 0; i < 100; i++) last = detector.observe({ principal: 'p', model: 'hard', inputs: textRow(`x ${i}`), probabilities: [[0.5, 0.5]] });
    assert.ok(Math.abs(last!.signals.lowMargin.threshold - 0.6) < 1e-9);
  });

  it('coverage trips on queries spread uniformly over the space, not on clustered ones', () => {
    const rnd = seededRandom(3);
    const uniform = harness();
    const clustered = harness();
    const centres = [0, 1, 2].map(() => Array.from({ length: 16 }, () => rnd() * 2 - 1));
    let u;
    let c;
    for (let i = 0; i < 400; i++) {
      u = uniform.detector.observe({ principal: 'p', model: 'm', inputs: vecRow(Array.from({ length: 16 }, () => rnd() * 2 - 1)), probabilities: [[0.9, 0.1]] });
      const centre = centres[i % 3];
      c = clustered.detector.observe({ principal: 'p', model: 'm', inputs: vecRow(centre.map((x) => x + 0.05 * (rnd() - 0.5))), probabilities: [[0.9, 0.1]] });
    }
    assert.equal(u!.signals.coverage.tripped, true, JSON.stringify(u!.signals.coverage));
    assert.equal(c!.signals.coverage.tripped, false, JSON.stringify(c!.signals.coverage));
  });

  it('PRADA trips on seeds plus small fixed steps, not on natural points', () => {
    const natural = harness();
    const synthetic = harness();
    const draw = naturalVectors(5);
    const rnd = seededRandom(9);
    const seeds = Array.from({ length: 5 }, draw);
    let n;
    let s;
    for (let i = 0; i < 300; i++) {
      n = natural.detector.observe({ principal: 'p', model: 'm', inputs: vecRow(draw()), probabilities: [[0.9, 0.1]] });
      // Papernot-style: a seed moved by lambda * sign(random direction) in every coordinate.
      const base = seeds[i % seeds.length];
      s = synthetic.detector.observe({ principal: 'p', model: 'm', inputs: vecRow(base.map((x) => x + 0.1 * (rnd() < 0.5 ? -1 : 1))), probabilities: [[0.9, 0.1]] });
    }
    assert.equal(n!.signals.prada.tripped, false, `natural W ${n!.signals.prada.value}`);
    assert.equal(s!.signals.prada.tripped, true, `synthetic W ${s!.signals.prada.value}`);
    assert.equal(s!.level, 'likely', 'PRADA weighs 2');
  });

  it('PRADA ignores exact repeats (retries, rescans of the same mail)', () => {
    const { detector } = harness();
    let r;
    for (let i = 0; i < 300; i++) r = detector.observe({ principal: 'p', model: 'm', inputs: textRow(`the same mail number ${i % 3}`), probabilities: [[0.9, 0.1]] });
    assert.deepEqual([r!.signals.prada.samples, r!.signals.prada.tripped, r!.level], [2, false, 'none']);
  });

  it('reads the benign low-margin share off a baseline histogram of p(positive)', () => {
    const edges = Array.from({ length: 21 }, (_, i) => i / 20);
    const counts = edges.slice(1).map((_, i) => (i === 9 || i === 10 ? 5 : 45));
    // band (0.35, 0.65): bins 7..12 inside (bins 9, 10 hold 5 each, four others 45): 4 * 45 + 2 * 5 = 190 of 820
    assert.ok(Math.abs(lowMarginShareFromHistogram({ edges, counts }, 0.3) - 190 / 820) < 1e-9);
  });
});

describe('the escalation ladder', () => {
  it('escalates while signals persist, reports every change once, and enforces each action', () => {
    const { detector, events, tick } = harness({ volume: { maxQueries: 10, windowMs: 3_600_000 }, escalateAfterQueries: 20, throttlePerMinute: 3 });
    const send = () => detector.observe({ principal: 'mallory', model: 'm', inputs: textRow('q'), probabilities: [[0.9, 0.1]] });
    for (let i = 0; i < 9; i++) assert.equal(send().changed, false);
    const first = send();
    assert.deepEqual([first.level, first.action, first.changed], ['suspect', 'alert', true]);
    const full = outputPolicySchema.parse({ mode: 'full' });
    assert.equal(detector.outputPolicyFor('mallory', 'm', full).mode, 'full', 'an alert does not degrade');
    for (let i = 0; i < 20; i++) send();
    assert.deepEqual(detector.actionFor('mallory', 'm'), { level: 'likely', action: 'degrade' });
    assert.deepEqual(detector.outputPolicyFor('mallory', 'm', full), { mode: 'top1', decimals: 1 });
    for (let i = 0; i < 20; i++) send();
    assert.deepEqual(detector.actionFor('mallory', 'm'), { level: 'confirmed', action: 'throttle' });
    for (let i = 0; i < 3; i++) detector.gate('mallory', 'm');
    assert.throws(() => detector.gate('mallory', 'm'), (e) => isModelGateError(e) && e.code === 'MG_RATE_LIMITED' && (e.retryAfterSeconds ?? 0) >= 1);
    tick(60_000);
    detector.gate('mallory', 'm');
    for (let i = 0; i < 20; i++) send();
    assert.deepEqual(detector.actionFor('mallory', 'm'), { level: 'critical', action: 'block' });
    assert.throws(() => detector.gate('mallory', 'm'), (e) => isModelGateError(e) && e.code === 'MG_FORBIDDEN');
    assert.deepEqual(events.map((e) => `${e.from}>${e.level}:${e.action}`),
      ['none>suspect:alert', 'suspect>likely:degrade', 'likely>confirmed:throttle', 'confirmed>critical:block']);
    assert.equal(events[0].principal, 'mallory');
    assert.equal(events[0].signals.volume.tripped, true);
    assert.deepEqual(detector.actionFor('alice', 'm'), { level: 'none', action: 'none' });
    assert.equal(detector.gate('alice', 'm').action, 'none');
    assert.equal(detector.reset('mallory', 'm'), true);
    assert.equal(detector.actionFor('mallory', 'm').action, 'none');
  });

  it('steps down one level per quiet cooldown, but never out of critical', () => {
    const { detector, events, tick } = harness({ volume: { maxQueries: 5, windowMs: 60_000, buckets: 6 }, escalateAfterQueries: 0, cooldownMs: 3_600_000 });
    for (let i = 0; i < 5; i++) detector.observe({ principal: 'p', model: 'm', inputs: textRow('q'), probabilities: [[0.9, 0.1]] });
    assert.equal(detector.actionFor('p', 'm').level, 'suspect');
    tick(120_000);
    assert.equal(detector.observe({ principal: 'p', model: 'm', inputs: textRow('q'), probabilities: [[0.9, 0.1]] }).level, 'suspect');
    tick(3_600_000);
    const r = detector.observe({ principal: 'p', model: 'm', inputs: textRow('q'), probabilities: [[0.9, 0.1]] });
    assert.deepEqual([r.level, r.changed], ['none', true]);
    assert.equal(events.at(-1)!.direction, 'down');
  });

  it('a custom ladder may block straight from likely', () => {
    const { detector } = harness({ actions: [{ at: 'suspect', do: 'alert' }, { at: 'likely', do: 'block' }], levels: { suspect: 1, likely: 1, confirmed: 3, critical: 5 }, volume: { maxQueries: 3 } });
    for (let i = 0; i < 3; i++) detector.observe({ principal: 'p', model: 'm', inputs: textRow('q'), probabilities: [[0.9, 0.1]] });
    assert.deepEqual(detector.actionFor('p', 'm'), { level: 'likely', action: 'block' });
  });

  it('holds a pair at the floor another replica stored: block, throttle and degrade without local state', () => {
    const floors = new Map<string, Level>([['blocked', 'critical'], ['throttled', 'confirmed'], ['degraded', 'likely']]);
    const { detector, tick } = harness({ throttlePerMinute: 2, volume: { maxQueries: 10 }, escalateAfterQueries: 20 }, (principal, model) => (model === 'm' ? floors.get(principal) ?? 'none' : 'none'));
    assert.throws(() => detector.gate('blocked', 'm'), (e) => isModelGateError(e) && e.code === 'MG_FORBIDDEN');
    assert.equal(detector.gate('blocked', 'other').action, 'none', 'per model');
    detector.gate('throttled', 'm');
    detector.gate('throttled', 'm');
    assert.throws(() => detector.gate('throttled', 'm'), (e) => isModelGateError(e) && e.code === 'MG_RATE_LIMITED');
    tick(60_000);
    assert.equal(detector.gate('throttled', 'm').action, 'throttle', 'a new minute, a new allowance');
    const full = outputPolicySchema.parse({ mode: 'full' });
    assert.deepEqual(detector.outputPolicyFor('degraded', 'm', full), { mode: 'top1', decimals: 1 });
    assert.equal(detector.tracked, 0, 'nothing was tracked for any of them');
    assert.deepEqual(detector.flagged(), [], 'flagged() lists what this process saw, not the floor');
    // A local level above the floor wins; the floor never lowers one.
    floors.set('mallory', 'suspect');
    for (let i = 0; i < 30; i++) detector.observe({ principal: 'mallory', model: 'm', inputs: textRow('q'), probabilities: [[0.9, 0.1]] });
    assert.equal(detector.actionFor('mallory', 'm').level, 'likely');
    assert.deepEqual(detector.flagged(), [{ principal: 'mallory', model: 'm', level: 'likely', queries: 30 }]);
  });

  it('rejects a ladder that softens, and levels that decrease', () => {
    assert.throws(() => parseExtractionSettings({ actions: [{ at: 'suspect', do: 'throttle' }, { at: 'likely', do: 'alert' }] }));
    assert.throws(() => parseExtractionSettings({ levels: { suspect: 3, likely: 2 } }));
    assert.ok(Object.isFrozen(parseExtractionSettings().prada));
  });
});

describe('memory bounds', () => {
  it('tracks at most maxTracked pairs, and an evicted block survives the eviction', () => {
    const { detector } = harness({ maxTracked: 3, volume: { maxQueries: 2 }, actions: [{ at: 'suspect', do: 'block' }] });
    for (let i = 0; i < 2; i++) detector.observe({ principal: 'mallory', model: 'm', inputs: textRow('q'), probabilities: [[0.9, 0.1]] });
    assert.equal(detector.actionFor('mallory', 'm').action, 'block');
    for (let i = 0; i < 50; i++) detector.observe({ principal: `sybil-${i}`, model: 'm', inputs: textRow('q'), probabilities: [[0.9, 0.1]] });
    assert.equal(detector.tracked, 3);
    assert.equal(detector.actionFor('mallory', 'm').action, 'block', 'flooding the LRU does not lift a block');
    const again = detector.observe({ principal: 'mallory', model: 'm', inputs: textRow('q'), probabilities: [[0.9, 0.1]] });
    assert.equal(again.level, 'suspect', 'the level comes back with the state');
  });

  it('keeps a principal separate per model', () => {
    const { detector } = harness({ volume: { maxQueries: 2 } });
    for (let i = 0; i < 2; i++) detector.observe({ principal: 'p', model: 'a', inputs: textRow('q'), probabilities: [[0.9, 0.1]] });
    assert.equal(detector.actionFor('p', 'a').level, 'suspect');
    assert.equal(detector.actionFor('p', 'b').level, 'none');
  });
});
