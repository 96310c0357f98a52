import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batcher, type RunBatch } from '../../src/batching/index.ts';
import type { Tensor } from '../../src/protocol/index.ts';
import { createOnnxEngine } from '../../src/runtime/index.ts';
import { gatherModel } from '../fixtures/onnx.ts';

const row = (v: number): Tensor[] => [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: new Float32Array([v]) }];
const opts = { maxBatchSize: 8, maxQueueDelayMs: 0, maxQueueSize: 100, maxConcurrentBatches: 1 };

/** A real computation (y = 2x) that records the batch sizes it was called with. */
function doubler(sizes: number[]): RunBatch {
  return async (inputs) => {
    sizes.push(inputs[0].shape[0]);
    await new Promise((r) => setImmediate(r));
    const x = inputs[0].data as Float32Array;
    return [{ name: 'y', datatype: 'FP32', shape: inputs[0].shape, data: x.map((v) => v * 2) }];
  };
}

test('requests arriving while the engine is busy are merged, and each caller gets its own answer', async () => {
  const sizes: number[] = [];
  const b = new Batcher('m', doubler(sizes), opts);
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => b.submit(row(i), ['y'])));
  assert.deepEqual(answers.map((a) => (a[0].data as Float32Array)[0]), Array.from({ length: 20 }, (_, i) => i * 2));
  assert.equal(sizes[0], 1, 'the first request goes alone to the idle engine');
  assert.ok(sizes.slice(1).every((s) => s <= 8), 'no batch exceeds maxBatchSize');
  assert.ok(sizes.some((s) => s > 1), `requests were merged: ${sizes}`);
  assert.equal(sizes.reduce((a, c) => a + c, 0), 20);
});

test('a queue delay gathers requests into one batch', async () => {
  const sizes: number[] = [];
  const b = new Batcher('m', doubler(sizes), { ...opts, maxQueueDelayMs: 50 });
  await Promise.all([1, 2, 3].map((v) => b.submit(row(v), ['y'])));
  assert.deepEqual(sizes, [3]);
});

test('a full batch is dispatched at once, before the delay, and leaves no delay timer behind', async () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const sizes: number[] = [];
  const b = new Batcher('m', doubler(sizes), { ...opts, maxBatchSize: 2, maxQueueDelayMs: 60_000 });
  await Promise.all([1, 2].map((v) => b.submit(row(v), ['y'])));
  assert.deepEqual(sizes, [2]);
  // A pending 60 s timer would hold a shut-down server's process for a minute.
  assert.equal(timers(), before);
});

test('beyond maxQueueSize a request is refused at once with a retry hint, and the queued ones still complete', async () => {
  const b = new Batcher('m', doubler([]), { ...opts, maxQueueSize: 2, maxQueueDelayMs: 100, maxBatchSize: 100 });
  const queued = [b.submit(row(1), ['y']), b.submit(row(2), ['y'])];
  await assert.rejects(b.submit(row(3), ['y']), (err: { code: string; retryAfterSeconds: number }) => err.code === 'MG_QUEUE_FULL' && err.retryAfterSeconds > 0);
  assert.equal(b.queueDepth, 2);
  const answers = await Promise.all(queued);
  assert.deepEqual(answers.map((a) => a[0].data[0]), [2, 4]);
});

test('a request aborted while queued leaves the queue and the others are unaffected', async () => {
  const sizes: number[] = [];
  const b = new Batcher('m', doubler(sizes), { ...opts, maxQueueDelayMs: 30 });
  const c = new AbortController();
  const gone = b.submit(row(1), ['y'], c.signal);
  const kept = b.submit(row(2), ['y']);
  c.abort();
  await assert.rejects(gone, { code: 'MG_TIMEOUT' });
  assert.equal((await kept)[0].data[0], 4);
  assert.deepEqual(sizes, [1]);
});

test('when the only queued request is aborted, its delay timer goes with it', async () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const b = new Batcher('m', doubler([]), { ...opts, maxQueueDelayMs: 60_000 });
  const c = new AbortController();
  const gone = b.submit(row(1), ['y'], c.signal);
  assert.equal(timers(), before + 1, 'the request waits on the delay timer');
  c.abort();
  await assert.rejects(gone, { code: 'MG_TIMEOUT' });
  assert.equal(timers(), before);
});

test('requests of different shapes are never merged together', async () => {
  const sizes: number[] = [];
  const b = new Batcher('m', doubler(sizes), { ...opts, maxQueueDelayMs: 20 });
  const wide: Tensor[] = [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: new Float32Array([5, 6]) }];
  const [a, w, c] = await Promise.all([b.submit(row(1), ['y']), b.submit(wide, ['y']), b.submit(row(3), ['y'])]);
  assert.deepEqual(sizes.sort(), [1, 2]);
  assert.deepEqual([a[0].data[0], Array.from(w[0].data as Float32Array), c[0].data[0]], [2, [10, 12], 6]);
});

test('a failed batch of a real engine fails every waiting caller with the error, then serving goes on', async () => {
  const engine = await createOnnxEngine(gatherModel(), { intraOpThreads: 1, interOpThreads: 1, graphOptimizationLevel: 'all', warmup: false, workers: 1, loneInlineMs: 0 });
  const b = new Batcher('gather', (i, o) => engine.run(i, o), { ...opts, maxQueueDelayMs: 30 });
  const idx = (v: number): Tensor[] => [{ name: 'idx', datatype: 'INT64', shape: [1], data: new BigInt64Array([BigInt(v)]) }];
  const results = await Promise.allSettled([b.submit(idx(0), ['out']), b.submit(idx(7), ['out']), b.submit(idx(2), ['out'])]);
  assert.ok(results.every((r) => r.status === 'rejected'), 'all three shared the failing batch');
  for (const r of results) {
    const err = (r as PromiseRejectedResult).reason as { code: string; message: string };
    assert.equal(err.code, 'MG_INFERENCE_FAILED');
    assert.doesNotMatch(err.message, /\/[a-z_]+\/.*\.(cc|h):\d+/, 'no source paths leak');
  }
  const ok = await b.submit(idx(1), ['out']);
  assert.equal(ok[0].data[0], 20);
  await engine.dispose();
});

test('drain waits for queued and running work', async () => {
  const sizes: number[] = [];
  const b = new Batcher('m', doubler(sizes), { ...opts, maxQueueDelayMs: 20 });
  const p = b.submit(row(1), ['y']);
  await b.drain();
  assert.deepEqual(sizes, [1]);
  assert.equal((await p)[0].data[0], 2);
});

test('the next batch reaches the engine before the callers of the finished one resume', async () => {
  const events: string[] = [];
  let call = 0;
  const run: RunBatch = async (inputs) => {
    const n = ++call;
    events.push(`dispatch ${n}`);
    await new Promise((r) => setImmediate(r));
    return [{ name: 'y', datatype: 'FP32', shape: inputs[0].shape, data: inputs[0].data as Float32Array }];
  };
  const b = new Batcher('m', run, opts);
  // The first request runs alone; the next two queue behind it and form the second batch.
  const first = b.submit(row(1), ['y']).then(() => events.push('caller of batch 1 resumes'));
  const rest = [2, 3].map((v) => b.submit(row(v), ['y']));
  await Promise.all([first, ...rest]);
  assert.deepEqual(events.slice(0, 3), ['dispatch 1', 'dispatch 2', 'caller of batch 1 resumes']);
});

test('a batch is run as alone only when it is one lone request of one row with nothing queued or running', async () => {
  const calls: [number, boolean][] = [];
  // Like doubler, and records the rows and the alone flag of every call.
  const run: RunBatch = async (inputs, _outputs, alone) => {
    calls.push([inputs[0].shape[0], alone]);
    await new Promise((r) => setImmediate(r));
    return [{ name: 'y', datatype: 'FP32', shape: inputs[0].shape, data: (inputs[0].data as Float32Array).map((v) => v * 2) }];
  };
  const b = new Batcher('m', run, { ...opts, maxBatchSize: 2 });
  const two: Tensor[] = [{ name: 'x', datatype: 'FP32', shape: [2, 1], data: new Float32Array([1, 2]) }];
  assert.deepEqual((await b.submit(row(1), ['y'], undefined, true))[0].data, new Float32Array([2]));
  await b.submit(row(1), ['y']); // not said to be alone
  await b.submit(two, ['y'], undefined, true); // alone, but two rows
  assert.deepEqual(calls.splice(0), [[1, true], [1, false], [2, false]]);
  // Three lone-flagged requests at once: the first runs while the next two queue and merge; only the
  // first ran with nothing else waiting.
  await Promise.all([1, 2, 3].map((v) => b.submit(row(v), ['y'], undefined, true)));
  assert.deepEqual(calls.splice(0), [[1, true], [2, false]]);
  // With two calls in flight allowed, a lone-flagged request dispatched while another call runs is not alone.
  const wide = new Batcher('m', run, { ...opts, maxBatchSize: 1, maxConcurrentBatches: 2 });
  await Promise.all([wide.submit(row(1), ['y']), wide.submit(row(2), ['y'], undefined, true)]);
  assert.deepEqual(calls.splice(0), [[1, false], [1, false]]);
});
