// The JSON depth limit: counted on the raw text before parsing (brackets in strings do not count),
// answered with 400 in OIP shape, and Fastify's own protections (prototype poisoning) kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildInferenceApp, DEFAULT_MAX_JSON_DEPTH } from '../../../src/http/apps.ts';
import { pino } from 'pino';
import { jsonDepthExceeds } from '../../../src/http/json-body.ts';
import { identityModel, ELEM, writeModel } from '../../fixtures/onnx.ts';
import { tempDir, testServer } from '../../fixtures/server.ts';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

test('jsonDepthExceeds counts arrays and objects, not brackets inside strings', () => {
  assert.equal(jsonDepthExceeds('1', 0), false);
  assert.equal(jsonDepthExceeds(nested(32), 32), false);
  assert.equal(jsonDepthExceeds(nested(33), 32), true);
  assert.equal(jsonDepthExceeds('{"a":{"b":[{"c":[]}]}}', 5), false);
  assert.equal(jsonDepthExceeds('{"a":{"b":[{"c":[]}]}}', 4), true);
  assert.equal(jsonDepthExceeds(`{"text":"${'[{'.repeat(100)}"}`, 1), false);
  // Escaped quotes do not end a string; an escaped backslash before a quote does.
  assert.equal(jsonDepthExceeds(`["\\"${'['.repeat(10)}"]`, 1), false);
  assert.equal(jsonDepthExceeds(`["\\\\",${nested(3)}]`, 3), true);
  // Siblings do not add up: depth is nesting, not a count.
  assert.equal(jsonDepthExceeds(`[${Array(100).fill('[[1]]').join(',')}]`, 3), false);
  // Malformed text is the parser's business: no throw here.
  assert.equal(jsonDepthExceeds('{"unterminated', 2), false);
  assert.equal(jsonDepthExceeds(']]]][[', 3), false);
});

test('through the real server (default limit 32): a deep body gets 400 on both planes; ordinary and text bodies pass', async (t) => {
  const repo = tempDir();
  writeModel(repo, 'id', '1', identityModel(ELEM.FP32));
  const s = await testServer(repo);
  t.after(() => s.close());
  const post = (app: 'inference' | 'admin', url: string, payload: string) =>
    s.server[app].inject({ method: 'POST', url, payload, headers: { ...s.auth, 'content-type': 'application/json' } });

  const deep = `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":${nested(5000)}}]}`;
  const res = await post('inference', '/v2/models/id/infer', deep);
  assert.equal(res.statusCode, 400);
  assert.deepEqual(res.json(), { error: `the request body is nested deeper than ${DEFAULT_MAX_JSON_DEPTH} levels` });
  const admin = await post('admin', '/admin/keys', `{"name":"x","roles":${nested(DEFAULT_MAX_JSON_DEPTH)}}`);
  assert.equal(admin.statusCode, 400);
  assert.deepEqual(admin.json(), { error: `the request body is nested deeper than ${DEFAULT_MAX_JSON_DEPTH} levels` });

  const ok = await post('inference', '/v2/models/id/infer', JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [[1, 2]] }] }));
  assert.equal(ok.statusCode, 200, ok.body);
  assert.deepEqual(ok.json().outputs[0].data, [1, 2]);
  // Brackets in a string are text, whatever their number.
  const text = await post('inference', '/v1/models/id/predict', JSON.stringify({ text: '[{'.repeat(1000) }));
  assert.doesNotMatch(text.body, /nested deeper/);
  assert.notEqual(text.statusCode, 500);
});

test('the replaced parser still refuses prototype poisoning, empty and broken bodies', async (t) => {
  const s = await testServer(undefined);
  t.after(() => s.close());
  const post = (payload: string) => s.server.admin.inject({ method: 'POST', url: '/admin/keys', payload, headers: { ...s.auth, 'content-type': 'application/json' } });
  const proto = await post('{"name":"x","roles":["viewer"],"__proto__":{"admin":true}}');
  assert.equal(proto.statusCode, 400);
  assert.deepEqual(proto.json(), { error: 'the request body uses the reserved key "__proto__", which is refused' });
  const ctor = await post('{"name":"x","roles":["viewer"],"constructor":{"prototype":{"admin":true}}}');
  assert.equal(ctor.statusCode, 400);
  assert.deepEqual(ctor.json(), { error: 'the request body uses the reserved key "constructor.prototype", which is refused' });
  assert.deepEqual((await post('{"name":')).json(), { error: 'the request body is not valid JSON' });
  const empty = await post('');
  assert.equal(empty.statusCode, 400);
  assert.deepEqual(empty.json(), { error: 'the request body is empty; send a JSON object' });
});

test('the maxJsonDepth app option sets the limit', async (t) => {
  const s = await testServer(undefined);
  t.after(() => s.close());
  const app = buildInferenceApp(s.server.dataplane, { logger: pino({ level: 'silent' }), authenticate: () => undefined, maxBodyBytes: 1 << 20, maxInFlight: 10, maxEventLoopDelayMs: 0, maxJsonDepth: 3 });
  t.after(() => app.close());
  // Parsing comes after authentication, so even a refused caller's deep body is never parsed: 401.
  const res = await app.inject({ method: 'POST', url: '/v2/models/x/infer', payload: nested(4), headers: { 'content-type': 'application/json' } });
  assert.equal(res.statusCode, 401);
  const app2 = buildInferenceApp(s.server.dataplane, { logger: pino({ level: 'silent' }), authenticate: () => ({ id: 'p', kind: 'api-key', roles: ['admin'] }), maxBodyBytes: 1 << 20, maxInFlight: 10, maxEventLoopDelayMs: 0, maxJsonDepth: 3 });
  t.after(() => app2.close());
  const deep = await app2.inject({ method: 'POST', url: '/v2/models/x/infer', payload: '{"inputs":[[[]]]}', headers: { 'content-type': 'application/json' } });
  assert.deepEqual([deep.statusCode, deep.json()], [400, { error: 'the request body is nested deeper than 3 levels' }]);
  const fine = await app2.inject({ method: 'POST', url: '/v2/models/x/infer', payload: '{"inputs":[[]]}', headers: { 'content-type': 'application/json' } });
  assert.doesNotMatch(fine.body, /nested deeper/);
});
