// What clients read when they are refused, through the real server: a bad path parameter is told its
// own rule, a reserved JSON key is named, a 403 says what was refused in words, a delete refused for a
// served version says why, feedback for an unknown model is a 404 like predict, and the package refusal
// counter's help names the codes it counts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describePattern } from '../../src/http/errors.ts';
import { reservedKeyIn } from '../../src/http/json-body.ts';
import { offsetModel } from '../fixtures/onnx.ts';
import { makeSigner, offsetManifest, packageOf, type Signer, trusting } from '../fixtures/packages.ts';
import { testServer, type TestServer } from '../fixtures/server.ts';

const manifest = (version: string) => offsetManifest('scorer', version);
let signer: Signer;
let t: TestServer;

before(async () => {
  signer = makeSigner();
  t = await testServer(undefined, trusting(signer, { rateLimitsEnabled: false, extractionEnabled: false }));
  for (const v of ['1', '2', '3']) {
    const res = await admin('POST', '/admin/packages', await packageOf(signer, offsetModel(Number(v)), manifest(v)), { 'content-type': 'application/octet-stream' });
    assert.equal(res.statusCode, 201, res.body);
  }
  assert.equal((await admin('POST', '/admin/models/scorer/versions/1/promote', {})).statusCode, 200);
});
after(() => t.close());

function admin(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) {
  return t.server.admin.inject({ method, url, payload: payload as Buffer, headers: { ...t.auth, ...headers } });
}
const inference = (url: string, payload: unknown) => t.server.inference.inject({ method: 'POST', url, payload: payload as string, headers: { ...t.auth, 'content-type': 'application/json' } });
const answer = (res: { statusCode: number; json(): unknown }) => [res.statusCode, res.json()];

test('a bad path parameter is told the rule of that parameter, named after what it names', async () => {
  assert.deepEqual(answer(await admin('GET', '/admin/keys/k3v7q2x9m4ab')), [400, { error: 'key id "k3v7q2x9m4ab" is not valid: use 12 characters of a-z and 2-7' }]);
  const nameRule = "use letters, digits, '.', '_' or '-' (at most 63)";
  assert.deepEqual(answer(await admin('GET', '/admin/models/..%2Fx')), [400, { error: `model name "../x" is not valid: ${nameRule}` }]);
  assert.deepEqual(answer(await admin('GET', '/admin/models/scorer/versions/-1')), [400, { error: `version name "-1" is not valid: ${nameRule}` }]);
  assert.deepEqual(answer(await admin('DELETE', '/admin/models/scorer/aliases/-a')), [400, { error: `alias name "-a" is not valid: ${nameRule}` }]);
  assert.deepEqual(answer(await admin('GET', '/admin/endpoints/-x')), [400, { error: `endpoint name "-x" is not valid: ${nameRule}` }]);
  assert.deepEqual(answer(await admin('DELETE', '/admin/alerts/rules/Bad')), [400, { error: `rule name "Bad" is not valid: use one of a-z, then at most 63 characters of a-z, 0-9 and '_'` }]);
});

test('patterns in words, and the pattern itself where there are no words for it', () => {
  assert.equal(describePattern('^[a-z2-7]{12}$'), 'use 12 characters of a-z and 2-7');
  assert.equal(describePattern('^[0-9]{1,4}$'), 'use 1 to 4 characters of 0-9');
  assert.equal(describePattern('^[^\\u0000-\\u001f\\u007f]+$'), 'control characters are not allowed');
  assert.equal(describePattern('^[a-z0-9][a-z0-9_-]{0,31}$'), "use one of a-z or 0-9, then at most 31 characters of a-z, 0-9, '_' and '-'");
  assert.equal(describePattern('^(\\*|[a-z]+)$'), undefined);
});

test('a body refused for a reserved key says so; malformed JSON is still "not valid JSON"', async () => {
  const proto = await inference('/v1/models/scorer/feedback', '{"__proto__":{"x":1},"text":"hi"}');
  assert.deepEqual(answer(proto), [400, { error: 'the request body uses the reserved key "__proto__", which is refused' }]);
  const nested = await inference('/v1/models/scorer/feedback', '{"items":[{"requestId":"a","label":"b","constructor":{"prototype":{}}}]}');
  assert.deepEqual(answer(nested), [400, { error: 'the request body uses the reserved key "constructor.prototype", which is refused' }]);
  assert.deepEqual(answer(await inference('/v1/models/scorer/feedback', '{"requestId":')), [400, { error: 'the request body is not valid JSON' }]);
  assert.deepEqual(answer(await inference('/v1/models/scorer/feedback', '{"a":}')), [400, { error: 'the request body is not valid JSON' }]);
  // A tensor-sized body is walked without spreading its elements into one call.
  assert.equal(reservedKeyIn(`{"inputs":[{"data":[${'1,'.repeat(1_000_000)}1]}],"__proto__":{}}`), '__proto__');
  assert.equal(reservedKeyIn('{"constructor":"x","prototype":{}}'), undefined);
});

test('a 403 says in words what the caller may not do', async () => {
  const created = await admin('POST', '/admin/keys', { name: 'walkthrough', roles: ['predictor'], models: ['scorer'] });
  assert.equal(created.statusCode, 201, created.body);
  const { key, record } = created.json();
  const metrics = await t.server.admin.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${key}` } });
  assert.deepEqual(answer(metrics), [403, { error: `'key:${record.id}' may not read metrics` }]);
  const keys = await t.server.admin.inject({ method: 'GET', url: '/admin/keys', headers: { authorization: `Bearer ${key}` } });
  assert.deepEqual(answer(keys), [403, { error: `'key:${record.id}' may not administer this server` }]);
});

test('a delete refused because the version serves says why: production, loaded with load, an alias, an endpoint', async () => {
  const production = await admin('DELETE', '/admin/models/scorer/versions/1');
  assert.deepEqual(answer(production), [409, { error: "model 'scorer' version '1' is serving traffic: it is the production version (promote another version or roll back first)" }]);

  assert.equal((await admin('POST', '/admin/models/scorer/versions/2/load', {})).statusCode, 200);
  assert.equal((await admin('PUT', '/admin/models/scorer/aliases/staging', { version: '2' })).statusCode, 200);
  const loaded = await admin('DELETE', '/admin/models/scorer/versions/2');
  assert.deepEqual(answer(loaded), [409, {
    error: "model 'scorer' version '2' is serving traffic: it was loaded with 'load' (unload it first: modelgate unload scorer 2, or POST /admin/models/scorer/versions/2/unload); " +
      "alias 'staging' also points at it (move or remove the alias first)",
  }]);

  const shadow = await admin('POST', '/admin/endpoints/scorer/shadow', { shadow: '3', sampleRate: 1 });
  assert.equal(shadow.statusCode, 200, shadow.body);
  const mirrored = await admin('DELETE', '/admin/models/scorer/versions/3');
  assert.equal(mirrored.statusCode, 409);
  assert.match(mirrored.json().error, /^model 'scorer' version '3' is serving traffic: an endpoint policy \(canary, blue\/green, shadow or experiment\) uses it/);
});

test('feedback for a model this server does not know is a 404, as predict answers; an unknown request of a known model is "unknown"', async () => {
  const predict = await inference('/v1/models/nope/predict', { text: 'hi' });
  const feedback = await inference('/v1/models/nope/feedback', { requestId: 'x', label: 'ham' });
  assert.deepEqual(answer(feedback), [404, { error: "model 'nope' is not known to this server" }]);
  assert.deepEqual(answer(feedback), answer(predict));
  const known = await inference('/v1/models/scorer/feedback', { requestId: 'x', label: 'ham' });
  assert.deepEqual(answer(known), [200, { results: [{ requestId: 'x', outcome: 'unknown' }] }]);
  // Registered but served by other replicas only (never loaded here): its labels are accepted.
  const elsewhere = await packageOf(signer, offsetModel(5), { ...manifest('1'), name: 'elsewhere' });
  assert.equal((await admin('POST', '/admin/packages', elsewhere, { 'content-type': 'application/octet-stream' })).statusCode, 201);
  assert.equal(t.server.models.has('elsewhere'), false);
  const remote = await inference('/v1/models/elsewhere/feedback', { requestId: 'y', label: 'ham' });
  assert.deepEqual(answer(remote), [200, { results: [{ requestId: 'y', outcome: 'unknown' }] }]);
});

test('the package refusal counter counts MG_CONFLICT, and its help names every code it counts', async () => {
  const other = await packageOf(signer, offsetModel(9), manifest('1'));
  const conflict = await admin('POST', '/admin/packages', other, { 'content-type': 'application/octet-stream' });
  assert.equal(conflict.statusCode, 409, conflict.body);
  const junk = await admin('POST', '/admin/packages', Buffer.from('not a package'), { 'content-type': 'application/octet-stream' });
  assert.equal(junk.statusCode, 400);
  const metric = t.server.metrics.registry.getSingleMetric('modelgate_package_refusals_total');
  assert.ok(metric);
  const counted = (await metric.get()).values.map((v) => String(v.labels.code)).sort();
  assert.deepEqual(counted, ['MG_CONFLICT', 'MG_PACKAGE_INVALID']);
  const help = (metric as unknown as { help: string }).help;
  for (const code of [...counted, 'MG_SIGNATURE_INVALID', 'MG_DECRYPTION_FAILED']) assert.ok(help.includes(code), `the help names ${code}: ${help}`);
});
