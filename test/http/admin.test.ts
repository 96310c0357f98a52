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

test('/metrics counts every HTTP answer by route pattern and status, never by the URL it was sent to', async () => {
  // A server of its own: the other tests' requests would be in the counts.
  const own = await testServer(repo);
  try {
    const body = { inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }, { name: 'b', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] };
    const inference = own.server.inference;
    assert.equal((await inference.inject({ method: 'POST', url: '/v2/models/add/infer', payload: body, headers: own.auth })).statusCode, 200);
    assert.equal((await inference.inject({ method: 'POST', url: '/v2/models/add/infer', payload: body, headers: own.auth })).statusCode, 200);
    assert.equal((await inference.inject({ method: 'POST', url: '/v2/models/add/infer', payload: body })).statusCode, 401);
    assert.equal((await inference.inject({ method: 'POST', url: '/v2/models/add/versions/1/infer', payload: '{', headers: { ...own.auth, 'content-type': 'application/json' } })).statusCode, 400);
    assert.equal((await inference.inject({ method: 'GET', url: '/no/such/route-4f1d', headers: own.auth })).statusCode, 404);
    const res = await own.server.admin.inject({ method: 'GET', url: '/metrics', headers: own.auth });
    const line = (labels: string) => new RegExp(`^modelgate_http_requests_total\\{${labels}\\} (\\d+)$`, 'm').exec(res.body)?.[1];
    assert.equal(line('plane="inference",method="POST",route="/v2/models/:model/infer",status="200"'), '2');
    assert.equal(line('plane="inference",method="POST",route="/v2/models/:model/infer",status="401"'), '1');
    assert.equal(line('plane="inference",method="POST",route="/v2/models/:model/versions/:version/infer",status="400"'), '1');
    assert.equal(line('plane="inference",method="GET",route="",status="404"'), '1');
    assert.doesNotMatch(res.body, /route-4f1d/);
    assert.match(res.body, /^modelgate_http_request_duration_seconds_count\{plane="inference",route="\/v2\/models\/:model\/infer"\} 3$/m);
    // The scrape is answered after it is rendered: it is not in its own counts.
    assert.equal(line('plane="admin",method="GET",route="/metrics",status="200"'), undefined);
    const again = await own.server.admin.inject({ method: 'GET', url: '/metrics', headers: own.auth });
    assert.match(again.body, /^modelgate_http_requests_total\{plane="admin",method="GET",route="\/metrics",status="200"\} 1$/m);
  } finally {
    await own.close();
  }
});

test('a URL refused before routing (bad percent-encoding, an overlong parameter) is answered and counted like any error', async () => {
  const own = await testServer(repo);
  try {
    const planes = [['inference', own.server.inference, '/v2/models/'], ['admin', own.server.admin, '/admin/models/']] as const;
    for (const [plane, app, prefix] of planes) {
      const bad = await app.inject({ method: 'GET', url: `${prefix}%zz-7c1e`, headers: own.auth });
      assert.equal(bad.statusCode, 400);
      assert.deepEqual(bad.json(), { error: 'the URL path is not valid: a percent sign must start a valid UTF-8 escape (%XX)' });
      assert.equal(bad.headers['x-content-type-options'], 'nosniff', `${plane}: the security headers`);
      assert.equal(bad.headers['cache-control'], 'no-store');
      assert.match(String(bad.headers['x-request-id']), /^[0-9a-f-]{36}$/);
      const long = await app.inject({ method: 'GET', url: `${prefix}${'a'.repeat(1100)}`, headers: own.auth });
      assert.equal(long.statusCode, 414);
      assert.deepEqual(long.json(), { error: 'a path parameter is longer than 1024 characters' });
    }
    assert.equal((await own.server.inference.inject({ method: 'GET', url: '/v2/health/live' })).statusCode, 200, 'the server keeps serving');
    const res = await own.server.admin.inject({ method: 'GET', url: '/metrics', headers: own.auth });
    for (const plane of ['inference', 'admin']) {
      assert.match(res.body, new RegExp(`^modelgate_http_requests_total\\{plane="${plane}",method="GET",route="",status="400"\\} 1$`, 'm'));
      assert.match(res.body, new RegExp(`^modelgate_http_requests_total\\{plane="${plane}",method="GET",route="",status="414"\\} 1$`, 'm'));
    }
    assert.doesNotMatch(res.body, /7c1e/);
  } finally {
    await own.close();
  }
});
