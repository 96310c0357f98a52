// Load shedding on event-loop lag (maxEventLoopDelayMs, src/http/guards.ts): while the loop lags,
// new requests get 503 with Retry-After at once instead of queueing behind the stall; health checks
// still answer; once the lag is gone requests are served again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { addModel, writeModel } from '../fixtures/onnx.ts';
import { tempDir, testServer, type TestServer } from '../fixtures/server.ts';

const repo = tempDir();
writeModel(repo, 'add', '1', addModel());
const body = { inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }, { name: 'b', datatype: 'FP32', shape: [1, 3], data: [10, 20, 30] }] };
const THRESHOLD_MS = 300;

const infer = (s: TestServer) => s.server.inference.inject({ method: 'POST', url: '/v2/models/add/infer', payload: body, headers: s.auth });
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Holds the event loop for `ms`, as a synchronous hot path or a long GC pause would. */
function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy on purpose
  }
}

/** Sends until an answer is not a shed (503) and returns it; callers check that it is a 200. */
async function untilServed(send: () => Promise<LightMyRequestResponse>): Promise<LightMyRequestResponse> {
  // Bounded by attempts, not time: a busy machine may lag past the threshold now and then.
  for (let i = 0; i < 400; i++) {
    const res = await send();
    if (res.statusCode !== 503) return res;
    await pause(50);
  }
  throw new Error('still shedding after 400 attempts 50 ms apart');
}

async function overloadRejections(s: TestServer, plane: 'inference' | 'admin' = 'inference'): Promise<number> {
  const metric = s.server.metrics.registry.getSingleMetric('modelgate_rejections_total');
  assert.ok(metric, 'the rejections counter exists');
  const { values } = await metric.get();
  return values.filter((v) => v.labels.plane === plane && v.labels.reason === 'overload').reduce((n, v) => n + v.value, 0);
}

test('a request arriving while the event loop lags gets 503 with Retry-After; once the lag is gone it is served', async (t) => {
  const s = await testServer(repo, { maxEventLoopDelayMs: THRESHOLD_MS });
  t.after(() => s.close());
  // Start-up itself may have lagged; begin from a server that serves.
  const first = await untilServed(() => infer(s));
  assert.equal(first.statusCode, 200, first.body);
  const shedBefore = await overloadRejections(s);
  const adminShedBefore = await overloadRejections(s, 'admin');

  blockEventLoop(THRESHOLD_MS * 4);
  // The lag timer is overdue by about the block; a timer set now fires after it, so the lag is measured.
  await tick();

  const shed = await infer(s);
  assert.equal(shed.statusCode, 503, shed.body);
  assert.equal(shed.headers['retry-after'], '1');
  assert.deepEqual(shed.json(), { error: 'the server is overloaded; retry later' });
  // The admin plane sheds on its own loop measurement too; health checks never are.
  const admin = await s.server.admin.inject({ method: 'GET', url: '/admin/models', headers: s.auth });
  assert.equal(admin.statusCode, 503, admin.body);
  const live = await s.server.inference.inject({ method: 'GET', url: '/v2/health/live' });
  const ready = await s.server.inference.inject({ method: 'GET', url: '/v2/health/ready' });
  assert.deepEqual([live.statusCode, ready.statusCode], [200, 200]);
  assert.ok((await overloadRejections(s)) > shedBefore, 'the shed request is counted as an overload rejection');
  assert.ok((await overloadRejections(s, 'admin')) > adminShedBefore, 'and so is the admin plane\'s');

  // The next measurement after the stall sees no lag, and requests are served, with correct answers.
  const again = await untilServed(() => infer(s));
  assert.equal(again.statusCode, 200, again.body);
  assert.deepEqual(again.json().outputs[0].data, [11, 22, 33]);
  const adminAgain = await untilServed(() => s.server.admin.inject({ method: 'GET', url: '/admin/models', headers: s.auth }));
  assert.equal(adminAgain.statusCode, 200, adminAgain.body);
});

test('with maxEventLoopDelayMs 0 the same stall sheds nothing', async (t) => {
  const s = await testServer(repo, { maxEventLoopDelayMs: 0 });
  t.after(() => s.close());
  blockEventLoop(THRESHOLD_MS * 4);
  await tick();
  const res = await infer(s);
  assert.equal(res.statusCode, 200, res.body);
});
