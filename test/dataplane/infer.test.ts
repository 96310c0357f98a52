import { after, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import type { Principal } from '../../src/security/index.ts';
import type { Tensor } from '../../src/protocol/index.ts';
import { addModel, classifierModel, gatherModel, identityModel, ELEM, slowModel } from '../fixtures/onnx.ts';
import { dataplaneWith } from '../fixtures/dataplane.ts';

const admin: Principal = { id: 'admin', kind: 'bootstrap', roles: ['admin'] };
const as = (principal: Principal | undefined) => ({ principal, requestId: randomUUID() });
const f32 = (name: string, shape: number[], v: number[]): Tensor => ({ name, datatype: 'FP32', shape, data: new Float32Array(v) });

const { dp, models } = await dataplaneWith([
  { name: 'add', model: addModel() },
  { name: 'add', version: '2', model: addModel() },
  { name: 'gather', model: gatherModel() },
  { name: 'bounded', model: identityModel(ELEM.FP32), manifest: { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2], constraints: { min: 0, max: 1, maxBatch: 2 } }] } },
  { name: 'clf', model: classifierModel(), manifest: { labels: ['neg', 'pos'] } },
]);
after(() => models.unloadAll());

test('infer answers with the version that ran, the request id, and the sum', async () => {
  const res = await dp.infer(as(admin), 'add', undefined, { id: 'r1', inputs: [f32('a', [1, 3], [1, 2, 3]), f32('b', [1, 3], [10, 20, 30])] });
  assert.equal(res.modelVersion, '2', 'the highest version is the default');
  assert.equal(res.id, 'r1');
  assert.deepEqual(Array.from(res.outputs[0].data as Float32Array), [11, 22, 33]);
  const v1 = await dp.infer(as(admin), 'add', '1', { inputs: [f32('a', [1, 3], [0, 0, 0]), f32('b', [1, 3], [1, 1, 1])] });
  assert.equal(v1.modelVersion, '1');
});

test('inputs are checked against the declared ones before the engine sees them', async () => {
  const a = f32('a', [1, 3], [1, 2, 3]);
  await assert.rejects(dp.infer(as(admin), 'add', undefined, { inputs: [a] }), /missing input 'b'/);
  await assert.rejects(dp.infer(as(admin), 'add', undefined, { inputs: [a, f32('c', [1, 3], [1, 2, 3])] }), /unknown input 'c'; model 'add' takes: a, b/);
  await assert.rejects(dp.infer(as(admin), 'add', undefined, { inputs: [a, f32('b', [1, 4], [1, 2, 3, 4])] }), /input 'b' must have shape \[-1, 3\]/);
  await assert.rejects(dp.infer(as(admin), 'add', undefined, { inputs: [a, f32('b', [2, 3], [1, 2, 3, 4, 5, 6])] }), /different batch sizes/);
  await assert.rejects(dp.infer(as(admin), 'add', undefined, { inputs: [a, { ...f32('b', [1, 3], [1, 2, 3]), datatype: 'FP64', data: new Float64Array(3) }] }), /input 'b' must be FP32, got FP64/);
  await assert.rejects(dp.infer(as(admin), 'add', undefined, { inputs: [a, f32('b', [1, 3], [1, 2, 3])], outputs: ['nope'] }), /unknown output 'nope'/);
  await assert.rejects(dp.infer(as(admin), 'add', undefined, { inputs: [f32('a', [0, 3], []), f32('b', [0, 3], [])] }), /input 'a' has no rows/);
});

test('declared constraints: ranges, NaN, rows per request', async () => {
  await assert.rejects(dp.infer(as(admin), 'bounded', undefined, { inputs: [f32('x', [1, 2], [0.5, 2])] }), { code: 'MG_INPUT_CONSTRAINT', message: /element 1 is 2, above the maximum 1/ });
  await assert.rejects(dp.infer(as(admin), 'bounded', undefined, { inputs: [f32('x', [1, 2], [NaN, 0])] }), /element 0 is NaN; this model accepts only finite numbers/);
  await assert.rejects(dp.infer(as(admin), 'bounded', undefined, { inputs: [f32('x', [3, 2], [0, 0, 0, 0, 0, 0])] }), /3 rows is more than the 2 allowed/);
  await assert.rejects(dp.infer(as(admin), 'add', undefined, { inputs: [f32('a', [1, 3], [Infinity, 0, 0]), f32('b', [1, 3], [0, 0, 0])] }), /only finite numbers/, 'floats are finite unless a manifest allows otherwise');
  const ok = await dp.infer(as(admin), 'bounded', undefined, { inputs: [f32('x', [2, 2], [0, 0.25, 0.5, 1])] });
  assert.deepEqual(Array.from(ok.outputs[0].data as Float32Array), [0, 0.25, 0.5, 1]);
});

test('unknown models and versions are 404-class errors', async () => {
  await assert.rejects(dp.infer(as(admin), 'nope', undefined, { inputs: [] }), { code: 'MG_MODEL_NOT_FOUND' });
  await assert.rejects(dp.infer(as(admin), 'add', '9', { inputs: [] }), { code: 'MG_VERSION_NOT_FOUND', message: "model 'add' has no version '9'" });
});

test('default deny: no principal, a role without infer, a predictor outside its scope', async () => {
  const req = { inputs: [f32('a', [1, 3], [1, 2, 3]), f32('b', [1, 3], [1, 2, 3])] };
  await assert.rejects(dp.infer(as(undefined), 'add', undefined, req), { code: 'MG_UNAUTHENTICATED' });
  await assert.rejects(dp.infer(as({ id: 'v', kind: 'api-key', roles: ['viewer'] }), 'add', undefined, req), { code: 'MG_FORBIDDEN' });
  const scoped: Principal = { id: 'p', kind: 'api-key', roles: ['predictor'], models: ['clf'] };
  await assert.rejects(dp.infer(as(scoped), 'add', undefined, req), { code: 'MG_FORBIDDEN', message: "'p' may not run inference on model 'add'" });
  await assert.rejects(dp.infer(as(scoped), 'nope', undefined, req), { code: 'MG_FORBIDDEN' }, 'a scoped caller learns nothing about other models');
});

test('a model failing at run time gives a catalog error and keeps serving', async () => {
  const idx = (v: number): Tensor[] => [{ name: 'idx', datatype: 'INT64', shape: [1], data: new BigInt64Array([BigInt(v)]) }];
  await assert.rejects(dp.infer(as(admin), 'gather', undefined, { inputs: idx(5) }), { code: 'MG_INFERENCE_FAILED' });
  const ok = await dp.infer(as(admin), 'gather', undefined, { inputs: idx(2) });
  assert.equal(ok.outputs[0].data[0], 30);
});

test('predict maps text-free items to tensors and names the prediction by label', async () => {
  const one = await dp.predict(as(admin), 'clf', undefined, [{ inputs: { features: [3, 1] } }]);
  assert.equal(one.predictions[0].prediction, 'neg');
  assert.ok(Math.abs(one.predictions[0].confidence! - 1 / (1 + Math.exp(-4))) < 1e-6);
  const many = await dp.predict(as(admin), 'clf', undefined, [{ inputs: { features: [3, 1] } }, { inputs: { features: [0, 2] } }]);
  assert.deepEqual(many.predictions.map((p) => p.prediction), ['neg', 'pos']);
  await assert.rejects(dp.predict(as(admin), 'clf', undefined, [{ text: 'hello' }]), /does not take plain text/);
  await assert.rejects(dp.predict(as(admin), 'clf', undefined, [{ inputs: { other: [1, 2] } }]), /missing input 'features'/);
  await assert.rejects(dp.predict(as(admin), 'clf', undefined, []), /at least one item/);
  await assert.rejects(dp.predict(as(undefined), 'clf', undefined, [{ inputs: { features: [3, 1] } }]), { code: 'MG_UNAUTHENTICATED' });
});

test('a request over its deadline fails with MG_TIMEOUT and the server goes on', async () => {
  const slow = await dataplaneWith([{ name: 'slow', model: slowModel() }], { requestTimeoutMs: 5 });
  try {
    const x = f32('x', [64, 256], new Array(64 * 256).fill(1)); // about 0.2 s of work per call
    const results = await Promise.allSettled([1, 2, 3].map(() => slow.dp.infer(as(admin), 'slow', undefined, { inputs: [x] })));
    assert.ok(results.every((r) => r.status === 'rejected' && (r.reason as { code: string }).code === 'MG_TIMEOUT'));
    await slow.models.get('slow').batcher.drain();
    assert.equal(slow.models.get('slow').batcher.queueDepth, 0, 'timed-out requests left the queue');
  } finally {
    await slow.models.unloadAll();
  }
});

test('after drain begins, new requests are refused with a retry hint and readiness drops', async () => {
  const d = await dataplaneWith([{ name: 'add', model: addModel() }]);
  try {
    assert.equal(await d.dp.ready(), true);
    d.dp.beginDrain();
    assert.equal(await d.dp.ready(), false);
    await assert.rejects(d.dp.infer(as(admin), 'add', undefined, { inputs: [] }), { code: 'MG_SHUTTING_DOWN' });
  } finally {
    await d.models.unloadAll();
  }
});

test('readiness follows the store: an unreachable dependency makes the server unready', async () => {
  const { createDataplane } = await import('../../src/dataplane/index.ts');
  const { ModelSet } = await import('../../src/registry/index.ts');
  let reachable = true;
  const dp = createDataplane({
    models: new ModelSet(), requestTimeoutMs: 1000, limits: { maxElements: 10 }, server: { name: 'm', version: 't', extensions: [] },
    readinessChecks: [async () => reachable],
  });
  assert.equal(await dp.ready(), false, 'not ready before start-up finished');
  dp.markStarted();
  assert.equal(await dp.ready(), true);
  reachable = false;
  assert.equal(await dp.ready(), false);
  dp.beginDrain();
  reachable = true;
  assert.equal(await dp.ready(), false, 'not ready while draining');
});
