import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { addModel, buildModel, classifierModel, ELEM, gatherModel, identityModel, int64Tensor, valueInfo, writeModel } from '../fixtures/onnx.ts';
import { tempDir, testServer, type TestServer } from '../fixtures/server.ts';
import { waitFor } from '../fixtures/wait.ts';

let t: TestServer;
const repo = tempDir();
writeModel(repo, 'add', '1', addModel());
writeModel(repo, 'clf', '1', classifierModel(), { name: 'clf', version: '1', labels: ['neg', 'pos'] });
for (const [dt, elem] of Object.entries(ELEM)) writeModel(repo, `id-${dt.toLowerCase()}`, '1', identityModel(elem));
writeModel(repo, 'lookup', '1', gatherModel()); // fails inside the engine on an index past its table
// y = x * 2^20 in INT64: safe inputs, outputs beyond 2^53.
writeModel(repo, 'wide', '1', buildModel({
  nodes: [{ opType: 'Mul', input: ['x', 'k'], output: ['y'] }],
  inputs: [valueInfo('x', ELEM.INT64, ['N'])],
  outputs: [valueInfo('y', ELEM.INT64, ['N'])],
  initializers: [int64Tensor('k', [1], [1_048_576])],
}));

before(async () => {
  t = await testServer(repo, { maxBodyBytes: 64 * 1024 });
});
after(() => t.close());

const inject = (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = t.auth) =>
  t.server.inference.inject({ method, url, payload: payload as object, headers });

test('liveness and readiness answer without a credential, as OIP says', async () => {
  const live = await t.server.inference.inject({ method: 'GET', url: '/v2/health/live' });
  assert.equal(live.statusCode, 200);
  assert.deepEqual(live.json(), { live: true });
  const ready = await t.server.inference.inject({ method: 'GET', url: '/v2/health/ready' });
  assert.deepEqual([ready.statusCode, ready.json()], [200, { ready: true }]);
});

test('every other route refuses a request without a valid credential', async () => {
  const routes: ['GET' | 'POST', string][] = [
    ['GET', '/v2'], ['GET', '/v2/models/add'], ['GET', '/v2/models/add/versions/1'], ['GET', '/v2/models/add/ready'],
    ['GET', '/v2/models/add/versions/1/ready'], ['POST', '/v2/models/add/infer'], ['POST', '/v2/models/add/versions/1/infer'],
    ['POST', '/v1/models/clf/predict'], ['POST', '/v1/models/clf/versions/1/predict'], ['GET', '/nowhere'],
  ];
  for (const [method, url] of routes) {
    const none = await inject(method, url, method === 'POST' ? {} : undefined, {});
    assert.equal(none.statusCode, 401, `${method} ${url}`);
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    const forged = await inject(method, url, method === 'POST' ? {} : undefined, { authorization: `Bearer ${t.token}x` });
    assert.equal(forged.statusCode, 401, `forged ${method} ${url}`);
    assert.deepEqual(forged.json(), { error: 'the credential is not valid' });
  }
  const apiKeyHeader = await inject('GET', '/v2', undefined, { 'x-api-key': t.token });
  assert.equal(apiKeyHeader.statusCode, 200, 'X-API-Key works as well as Authorization: Bearer');
});

test('server metadata, model metadata and model readiness', async () => {
  assert.deepEqual((await inject('GET', '/v2')).json(), { name: 'modelgate', version: '0.1.0', extensions: [] });
  const meta = (await inject('GET', '/v2/models/add')).json();
  assert.deepEqual(meta, {
    name: 'add', versions: ['1'], platform: 'onnxruntime_onnx',
    inputs: [{ name: 'a', datatype: 'FP32', shape: [-1, 3] }, { name: 'b', datatype: 'FP32', shape: [-1, 3] }],
    outputs: [{ name: 'sum', datatype: 'FP32', shape: [-1, 3] }],
  });
  assert.equal((await inject('GET', '/v2/models/add/versions/1')).json().version, '1');
  assert.deepEqual((await inject('GET', '/v2/models/add/versions/1/ready')).json(), { name: 'add', version: '1', ready: true });
  assert.equal((await inject('GET', '/v2/models/add/versions/7/ready')).statusCode, 404);
  assert.equal((await inject('GET', '/v2/models/nope')).statusCode, 404);
});

test('infer round-trips every JSON datatype through a real graph', async () => {
  const samples: Record<string, unknown[]> = {
    FP32: [1.5, -2, 3, 4], FP64: [1e-300, 2, 3, 4], INT64: [-9007199254740991, 1, 2, 3], INT32: [-5, 6, 7, 8],
    INT16: [-300, 1, 2, 3], INT8: [-100, 1, 2, 3], UINT8: [0, 255, 1, 2], UINT16: [65535, 0, 1, 2],
    UINT32: [4294967295, 0, 1, 2], UINT64: [9007199254740991, 0, 1, 2], BOOL: [true, false, false, true],
    BYTES: ['spam', 'ham', '', 'ünïcødé ✓'],
  };
  for (const [dt, data] of Object.entries(samples)) {
    const res = await inject('POST', `/v2/models/id-${dt.toLowerCase()}/infer`, { id: `req-${dt}`, inputs: [{ name: 'x', datatype: dt, shape: [2, 2], data }] });
    assert.equal(res.statusCode, 200, `${dt}: ${res.body}`);
    const body = res.json();
    assert.equal(body.id, `req-${dt}`);
    assert.equal(res.headers['x-model-version'], '1');
    assert.deepEqual(body.outputs, [{ name: 'y', datatype: dt, shape: [2, 2], data: dt === 'FP32' ? data.map((v) => Math.fround(v as number)) : data }], dt);
  }
});

test('nested data and the outputs selector', async () => {
  const res = await inject('POST', '/v2/models/add/infer', {
    inputs: [{ name: 'a', datatype: 'FP32', shape: [2, 3], data: [[1, 2, 3], [4, 5, 6]] }, { name: 'b', datatype: 'FP32', shape: [2, 3], data: [1, 1, 1, 1, 1, 1] }],
    outputs: [{ name: 'sum' }],
  });
  assert.deepEqual(res.json().outputs[0].data, [2, 3, 4, 5, 6, 7]);
  const bad = await inject('POST', '/v2/models/add/infer', {
    inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }, { name: 'b', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }],
    outputs: [{ name: 'product' }],
  });
  assert.deepEqual([bad.statusCode, bad.json()], [400, { error: "unknown output 'product'; model 'add' answers: sum" }]);
});

test('bad input gets a precise 4xx and the server keeps serving', async () => {
  const a = { name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] };
  const cases: [unknown, number, RegExp, Record<string, string>?][] = [
    ['{"inputs": [', 400, /not valid JSON/, { 'content-type': 'application/json' }],
    ['hello', 415, /unsupported content type/, { 'content-type': 'text/plain' }],
    [{}, 400, /body must have required property 'inputs'/],
    [{ inputs: [{ name: 'a', datatype: 'FP32', data: [1] }] }, 400, /required property 'shape'/],
    [{ inputs: [{ ...a, shape: ['1', 3] }] }, 400, /shape\/0 must be integer/],
    [{ inputs: [{ ...a, datatype: 'FP16' }] }, 400, /binary tensor extension/],
    [{ inputs: [{ ...a, data: [1, 2] }] }, 400, /needs 3 elements, 'data' has 2/],
    [{ inputs: [{ ...a, data: [1, 'x', 3] }] }, 400, /element 1 must be a number/],
    [{ inputs: [{ ...a, data: [1, 'NaN', 3] }, { ...a, name: 'b' }] }, 400, /element 1 is NaN; this model accepts only finite numbers/],
    [{ inputs: [a] }, 400, /missing input 'b'/],
    [{ inputs: [a, { ...a, name: 'c' }] }, 400, /unknown input 'c'/],
    [{ inputs: [a, { ...a, name: 'b', datatype: 'INT32' }] }, 400, /input 'b' must be FP32, got INT32/],
    [{ inputs: [{ ...a, data: new Array(40000).fill(1), shape: [40000] }] }, 413, /larger than the configured limit/],
  ];
  for (const [payload, status, message, headers] of cases) {
    const res = await inject('POST', '/v2/models/add/infer', payload, { ...t.auth, ...headers });
    assert.equal(res.statusCode, status, `${JSON.stringify(payload).slice(0, 80)} -> ${res.body}`);
    assert.match(res.json().error, message);
    assert.doesNotMatch(res.body, /node_modules|\/work\/|at .*\.ts:\d+/, 'no paths or stacks');
  }
  const ok = await inject('POST', '/v2/models/add/infer', { inputs: [a, { ...a, name: 'b' }] });
  assert.equal(ok.statusCode, 200);
});

test('unknown models, versions and names with path characters', async () => {
  const body = { inputs: [{ name: 'a', datatype: 'FP32', shape: [1], data: [1] }] };
  assert.deepEqual((await inject('POST', '/v2/models/nope/infer', body)).json(), { error: "model 'nope' is not known to this server" });
  assert.deepEqual((await inject('POST', '/v2/models/add/versions/9/infer', body)).json(), { error: "model 'add' has no version '9'" });
  for (const name of ['..%2F..%2Fetc%2Fpasswd', '%2Fetc', 'a%00b', '.hidden']) {
    const res = await inject('POST', `/v2/models/${name}/infer`, body);
    assert.equal(res.statusCode, 400, name);
    assert.match(res.json().error, /name .* is not valid/);
  }
  assert.equal((await inject('GET', '/v2/models/add/versions/..%2F1')).statusCode, 400);
  assert.equal((await inject('GET', '/v2/unknown/route')).statusCode, 404);
});

test('the simple JSON API: one item, many items, bad items', async () => {
  const one = await inject('POST', '/v1/models/clf/predict', { inputs: { features: [0, 3] } });
  assert.equal(one.statusCode, 200);
  const body = one.json();
  assert.equal(body.prediction, 'pos');
  assert.equal(body.model, 'clf');
  assert.ok(body.confidence > 0.99 && Math.abs(body.probabilities.pos + body.probabilities.neg - 1) < 1e-6);
  const many = await inject('POST', '/v1/models/clf/predict', { instances: [{ inputs: { features: [3, 0] } }, { inputs: { features: [0, 3] } }] });
  assert.deepEqual(many.json().predictions.map((p: { prediction: string }) => p.prediction), ['neg', 'pos']);
  const noText = await inject('POST', '/v1/models/clf/predict', { text: 'hello' });
  assert.equal(noText.statusCode, 400);
  assert.match(noText.json().error, /does not take plain text/);
  const wrongType = await inject('POST', '/v1/models/clf/predict', { inputs: { features: ['a', 'b'] } });
  assert.match(wrongType.json().error, /element 0 must be a number/);
  const empty = await inject('POST', '/v1/models/clf/predict', { instances: [] });
  assert.equal(empty.statusCode, 400);
});

test('INT64 outputs beyond 2^53 are written digit for digit, not rounded through a double', async () => {
  const res = await inject('POST', '/v2/models/wide/infer', { inputs: [{ name: 'x', datatype: 'INT64', shape: [3], data: [3, 2 ** 40 + 1, -(2 ** 40) - 3] }] });
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  // Read as text: JSON.parse would round the very values under test.
  assert.match(res.body, /"data":\[3145728,1152921504607895552,-1152921504609992704\]/);
  assert.equal(BigInt(2 ** 40 + 1) * 1_048_576n, 1152921504607895552n, 'the expected digits are the exact product');
  assert.equal(res.json().model_name, 'wide');
});

test('a request that fails inside the model is audited with its version, arm, input hash and latency', async () => {
  const body = { inputs: [{ name: 'idx', datatype: 'INT64', shape: [1], data: [7] }] };
  const res = await inject('POST', '/v2/models/lookup/infer', body);
  assert.equal(res.statusCode, 500, res.body);
  assert.match(res.json().error, /the model failed on this input/);
  const record = await waitFor<Record<string, unknown>>(
    async () => (await t.server.admin.inject({ method: 'GET', url: `/admin/audit/records?requestId=${res.headers['x-request-id']}`, headers: t.auth })).json().records[0],
    'the failed request\'s audit record',
  );
  assert.deepEqual([record.kind, record.status, record.model, record.version, record.route], ['inference', 500, 'lookup', '1', 'primary']);
  assert.match(String(record.input_sha256), /^[0-9a-f]{64}$/);
  assert.equal(typeof record.latency_ms, 'number');
  // The hash is the input's: another input, answered, hashes differently.
  const ok = await inject('POST', '/v2/models/lookup/infer', { inputs: [{ name: 'idx', datatype: 'INT64', shape: [1], data: [2] }] });
  assert.equal(ok.statusCode, 200, ok.body);
  const other = (await t.server.admin.inject({ method: 'GET', url: `/admin/audit/records?requestId=${ok.headers['x-request-id']}`, headers: t.auth })).json().records[0];
  assert.notEqual(other.input_sha256, record.input_sha256);
});
