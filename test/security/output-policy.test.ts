// Output policy modes on OIP tensors and on the simple API's predictions: what each mode keeps, how the
// confidence is rounded and clamped, and that degrading picks the stricter policy.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyOutputPolicy, coarseConfidence, outputPolicySchema, stricterPolicy, type SimplePrediction,
} from '../../src/security/output-policy.ts';
import type { Tensor } from '../../src/protocol/index.ts';

const LABELS = ['ham', 'spam'];
const outputs = (): Tensor[] => [
  { name: 'label', datatype: 'BYTES', shape: [3], data: ['ham', 'spam', 'spam'] },
  { name: 'probabilities', datatype: 'FP32', shape: [3, 2], data: new Float32Array([0.9731, 0.0269, 0.4512, 0.5488, 0.00001, 0.99999]) },
  { name: 'logits', datatype: 'FP32', shape: [3], data: new Float32Array([-3.6, 0.2, 11.5]) },
];
const policy = (mode: 'full' | 'top1' | 'label', decimals?: number) => outputPolicySchema.parse({ mode, decimals });

describe('output policy on OIP tensors', () => {
  it('full returns every output untouched', () => {
    const o = outputs();
    assert.equal(applyOutputPolicy(policy('full'), o, LABELS), o);
  });

  it('top1 keeps the label and a rounded, clamped confidence of that label, and drops everything else', () => {
    const [label, conf, ...rest] = applyOutputPolicy(policy('top1'), outputs(), LABELS);
    assert.deepEqual(label, { name: 'label', datatype: 'BYTES', shape: [3], data: ['ham', 'spam', 'spam'] });
    assert.equal(conf.name, 'confidence');
    assert.deepEqual(conf.shape, [3]);
    // Exactly the rounded values, as they are written in JSON: FP64, not float32 approximations.
    assert.equal(conf.datatype, 'FP64');
    assert.deepEqual(Array.from(conf.data as Float64Array), [0.9, 0.5, 0.9]);
    assert.equal(JSON.stringify(Array.from(conf.data as Float64Array)), '[0.9,0.5,0.9]');
    assert.equal(rest.length, 0, 'logits and probabilities are gone');
  });

  it('top1 with two decimals never says 1.00', () => {
    const [, conf] = applyOutputPolicy(policy('top1', 2), outputs(), LABELS);
    assert.deepEqual(Array.from(conf.data as Float64Array), [0.97, 0.55, 0.99]);
  });

  it('label keeps the label only', () => {
    assert.deepEqual(applyOutputPolicy(policy('label'), outputs(), LABELS), [outputs()[0]]);
  });

  it('derives labels from the probabilities when the model has no label output (ties go to the first class)', () => {
    const probsOnly: Tensor[] = [{ name: 'p', datatype: 'FP64', shape: [2, 3], data: new Float64Array([0.2, 0.5, 0.3, 0.4, 0.4, 0.2]) }];
    const [label, conf] = applyOutputPolicy(policy('top1'), probsOnly, ['a', 'b', 'c']);
    assert.deepEqual(label.data, ['b', 'a']);
    assert.deepEqual(Array.from(conf.data as Float64Array), [0.5, 0.4]);
  });

  it('honours explicit output names', () => {
    const o: Tensor[] = [
      { name: 'scores', datatype: 'FP32', shape: [1, 2], data: new Float32Array([0.3, 0.7]) },
      { name: 'class', datatype: 'BYTES', shape: [1], data: ['spam'] },
    ];
    const r = applyOutputPolicy(policy('top1'), o, LABELS, { probabilities: 'scores', label: 'class', confidence: 'score' });
    assert.deepEqual(r.map((t) => t.name), ['class', 'score']);
  });
});

describe('output policy on simple predictions', () => {
  const preds: SimplePrediction[] = [
    { prediction: 'spam', confidence: 0.98761, probabilities: { ham: 0.01239, spam: 0.98761 } },
    { prediction: 'ham', probabilities: { ham: 0.6234, spam: 0.3766 } },
  ];
  it('maps each mode', () => {
    assert.equal(applyOutputPolicy(policy('full'), preds), preds);
    assert.deepEqual(applyOutputPolicy(policy('top1'), preds, LABELS), [{ prediction: 'spam', confidence: 0.9 }, { prediction: 'ham', confidence: 0.6 }]);
    assert.deepEqual(applyOutputPolicy(policy('label'), preds), [{ prediction: 'spam' }, { prediction: 'ham' }]);
    assert.deepEqual(applyOutputPolicy(policy('top1'), []), []);
  });
});

describe('coarse confidence and stricter policies', () => {
  it('rounds to the grid and clamps to [1/K rounded up, 1 - step]', () => {
    assert.equal(coarseConfidence(0.96, 2, 1), 0.9);
    assert.equal(coarseConfidence(0.51, 2, 1), 0.5);
    assert.equal(coarseConfidence(0.34, 3, 1), 0.4);
    assert.equal(coarseConfidence(0.12, 10, 2), 0.12);
    assert.equal(coarseConfidence(0.9999, 2, 2), 0.99);
    assert.equal(coarseConfidence(0.97, 2, 0), 0.9, 'below one decimal is treated as one');
  });

  it('the stricter policy takes the narrower mode and the fewer decimals', () => {
    assert.deepEqual(stricterPolicy(policy('full', 3), policy('top1', 1)), { mode: 'top1', decimals: 1 });
    assert.deepEqual(stricterPolicy(policy('label', 2), policy('top1', 1)), { mode: 'label', decimals: 1 });
  });

  it('rejects unknown modes and absurd precision', () => {
    assert.throws(() => outputPolicySchema.parse({ mode: 'all' }));
    assert.throws(() => outputPolicySchema.parse({ mode: 'top1', decimals: 7 }));
    assert.throws(() => outputPolicySchema.parse({ mode: 'top1', decimals: 0 }), 'zero decimals is label mode in disguise');
  });
});
