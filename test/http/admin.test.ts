import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { addModel, writeModel } from '../fixtures/onnx.ts';
import { tempDir, testServer, type TestServer } from '../fixtures/server.ts';

let t: TestServer;
const repo = tempDir();
writeModel(repo, 'add', '1', addModel());

before(async () => {
  t = await testServer(repo);
});
after(() => t.close());

test('the admin plane needs a credential for everything but health', async () => {
  const admin = t.server.admin;
  assert.equal((await admin.inject({ method: 'GET', url: '/v2/health/live' })).statusCode, 200);
  assert.equal((await admin.inject({ method: 'GET', url: '/v2/health/ready' })).statusCode, 200);
  for (const url of ['/metrics', '/admin/models', '/anything']) {
    assert.equal((await admin.inject({ method: 'GET', url })).statusCode, 401, url);
  }
});

test('/metrics speaks the Prometheus text format and counts inference outcomes', async () => {
  const body = { inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }, { name: 'b', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] };
  await t.server.inference.inject({ method: 'POST', url: '/v2/models/add/infer', payload: body, headers: t.auth });
  await t.server.inference.inject({ method: 'POST', url: '/v2/models/add/infer', payload: { inputs: [body.inputs[0]] }, headers: t.auth });
  const res = await t.server.admin.inject({ method: 'GET', url: '/metrics', headers: t.auth });
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /^text\/plain; version=0.0.4/);
  assert.match(res.body, /modelgate_inference_requests_total\{model="add",version="1",code="OK"\} 1/);
  assert.match(res.body, /modelgate_inference_requests_total\{model="add",version="1",code="MG_INVALID_TENSOR"\} 1/);
  assert.match(res.body, /modelgate_batch_size_count\{model="add",version="1"\} 1/);
  assert.match(res.body, /modelgate_queue_depth\{model="add",version="1"\} 0/);
  assert.match(res.body, /modelgate_process_cpu_seconds_total/);
  // The scrape itself is the one request in flight on the admin plane; the inference plane is idle.
  assert.match(res.body, /^modelgate_inflight_requests\{plane="admin"\} 1$/m);
  assert.match(res.body, /^modelgate_inflight_requests\{plane="inference"\} 0$/m);
  // The engine and queue-wait histograms saw the answered request.
  assert.match(res.body, /^modelgate_engine_duration_seconds_count\{model="add",version="1"\} 1$/m);
  assert.match(res.body, /^modelgate_queue_wait_seconds_count\{model="add",version="1"\} 1$/m);
  assert.match(res.body, /^modelgate_inference_duration_seconds_count\{model="add",version="1"\} 2$/m);
});

test('/admin/models lists registered models and, apart, unsigned development models', async () => {
  const res = await t.server.admin.inject({ method: 'GET', url: '/admin/models', headers: t.auth });
  assert.deepEqual(res.json(), { models: [], unregistered: [{ name: 'add', version: '1', origin: 'repository:add/1' }], failures: [] });
});
