import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slowModel, writeModel } from '../fixtures/onnx.ts';
import { tempDir, testServer } from '../fixtures/server.ts';
import { waitFor } from '../fixtures/wait.ts';

const repo = tempDir();
writeModel(repo, 'slow', '1', slowModel());
const body = { inputs: [{ name: 'x', datatype: 'FP32', shape: [32, 256], data: new Array(32 * 256).fill(1) }] };

test('a full batching queue answers 503 with Retry-After at once; queued requests still succeed', async (t) => {
  const s = await testServer(repo, { 'batching.maxQueueSize': 1, 'batching.maxBatchSize': 32 });
  t.after(() => s.close());
  const send = () => s.server.inference.inject({ method: 'POST', url: '/v2/models/slow/infer', payload: body, headers: s.auth });
  const results = await Promise.all(Array.from({ length: 6 }, send));
  const codes = results.map((r) => r.statusCode);
  assert.ok(codes.includes(200), `some were served: ${codes}`);
  const refused = results.filter((r) => r.statusCode === 503);
  assert.ok(refused.length > 0, `some were refused: ${codes}`);
  for (const r of refused) {
    assert.equal(r.headers['retry-after'], '1');
    assert.match(r.json().error, /queue of model 'slow' version '1' is full; retry later/);
  }
});

test('beyond maxInFlight requests are shed with 503 while health checks still answer', async (t) => {
  const s = await testServer(repo, { maxInFlight: 2 });
  t.after(() => s.close());
  const send = () => s.server.inference.inject({ method: 'POST', url: '/v2/models/slow/infer', payload: body, headers: s.auth });
  const flood = Array.from({ length: 8 }, send);
  const live = await s.server.inference.inject({ method: 'GET', url: '/v2/health/live' });
  const ready = await s.server.inference.inject({ method: 'GET', url: '/v2/health/ready' });
  assert.deepEqual([live.statusCode, ready.statusCode], [200, 200]);
  const codes = (await Promise.all(flood)).map((r) => r.statusCode);
  assert.equal(codes.filter((c) => c === 200).length, 2, `${codes}`);
  assert.equal(codes.filter((c) => c === 503).length, 6, `${codes}`);
  const after = await send();
  assert.equal(after.statusCode, 200, 'capacity is given back when requests finish');
});

test('a request over its deadline answers 504 with a clear message', async (t) => {
  const s = await testServer(repo, { requestTimeoutMs: 1 });
  t.after(() => s.close());
  const res = await s.server.inference.inject({ method: 'POST', url: '/v2/models/slow/infer', payload: body, headers: s.auth });
  assert.equal(res.statusCode, 504);
  assert.deepEqual(res.json(), { error: 'the request did not finish within 1 ms' });
});

test('the in-flight gauges show the engine call running and the requests queued behind it, and fall to 0 after', async (t) => {
  const s = await testServer(repo, { 'batching.maxBatchSize': 32, 'batching.maxQueueSize': 64 });
  t.after(() => s.close());
  const send = () => s.server.inference.inject({ method: 'POST', url: '/v2/models/slow/infer', payload: body, headers: s.auth });
  const scrape = async () => (await s.server.admin.inject({ method: 'GET', url: '/metrics', headers: s.auth })).body;
  const gauge = (text: string, name: string, labels: string) => Number(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1]);
  const labels = 'model="slow",version="1"';
  // Each request is a full batch (32 rows), so one runs and the others wait.
  const flood = Promise.all(Array.from({ length: 5 }, send));
  const seen = await waitFor(async () => {
    const text = await scrape();
    return gauge(text, 'modelgate_inflight_batches', labels) === 1 && gauge(text, 'modelgate_queue_depth', labels) >= 1 ? text : undefined;
  }, 'a scrape during the flood with a batch running and requests queued', 500, 5);
  assert.ok(gauge(seen, 'modelgate_inflight_requests', 'plane="inference"') >= 2, 'the running and the queued requests are in flight');
  assert.deepEqual((await flood).map((r) => r.statusCode), [200, 200, 200, 200, 200]);
  const idle = await scrape();
  assert.equal(gauge(idle, 'modelgate_inflight_batches', labels), 0);
  assert.equal(gauge(idle, 'modelgate_queue_depth', labels), 0);
  assert.equal(gauge(idle, 'modelgate_inflight_requests', 'plane="inference"'), 0);
});
