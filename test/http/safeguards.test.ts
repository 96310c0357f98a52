// The safeguards of the request path through the real server and the real spam filter: rate limits,
// out-of-distribution flagging and rejection, the output policy, extraction detection, and the
// audit records and auditor API that show all of it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeSigner, packageOf, trusting, type Signer } from '../fixtures/packages.ts';
import { tempDir, testServer, type TestServer } from '../fixtures/server.ts';
import { loadSplit, randomBagAttacker, wordList, benignClient } from '../security/extraction/attack-kit.ts';

const MODEL = readFileSync('examples/models/spam-filter/1/model.onnx');
const MANIFEST = JSON.parse(readFileSync('examples/models/spam-filter/1/manifest.json', 'utf8'));
let t: TestServer;
let signer: Signer;
const keys: Record<string, string> = {};

before(async () => {
  signer = makeSigner();
  const config = join(tempDir(), 'modelgate.json');
  writeFileSync(config, JSON.stringify({
    rateLimits: { perPrincipal: null, perModel: null, feedbackPerPrincipal: { capacity: 4, refillPerSecond: 0.01 }, overrides: { models: { 'spam-limited': { capacity: 5, refillPerSecond: 0.01 } } } },
    models: { 'spam-strict': { ood: 'reject', outputPolicy: { mode: 'top1', decimals: 1 } }, 'spam-quiet': { ood: 'record' } },
  }));
  t = await testServer(undefined, trusting(signer), config);
  for (const name of ['spam-filter', 'spam-strict', 'spam-limited', 'spam-quiet']) {
    const pkg = await packageOf(signer, MODEL, { ...MANIFEST, name });
    assert.equal((await t.server.admin.inject({ method: 'POST', url: '/admin/packages', payload: pkg, headers: { ...t.auth, 'content-type': 'application/octet-stream' } })).statusCode, 201);
    await t.server.admin.inject({ method: 'POST', url: `/admin/models/${name}/versions/1/promote`, payload: {}, headers: t.auth });
  }
  for (const who of ['attacker', 'customer']) {
    const res = await t.server.admin.inject({ method: 'POST', url: '/admin/keys', payload: { name: who, roles: ['predictor'], models: ['*'] }, headers: t.auth });
    keys[who] = res.json().key;
  }
});
after(() => t.close());

const predict = (model: string, text: string, key?: string) =>
  t.server.inference.inject({ method: 'POST', url: `/v1/models/${model}/predict`, payload: { text }, headers: key ? { authorization: `Bearer ${key}` } : t.auth });
const auditor = (query: string) => t.server.admin.inject({ method: 'GET', url: `/admin/audit/records?${query}`, headers: t.auth });

test('a model over its rate limit answers 429 with Retry-After, and the refusal is audited', async () => {
  const codes: number[] = [];
  let refused;
  for (let i = 0; i < 8; i++) {
    const res = await predict('spam-limited', 'Hi Anna, the patch is in CVS.');
    codes.push(res.statusCode);
    if (res.statusCode === 429) refused = res;
  }
  assert.deepEqual(codes, [200, 200, 200, 200, 200, 429, 429, 429]);
  const metrics = (await t.server.admin.inject({ method: 'GET', url: '/metrics', headers: t.auth })).body;
  assert.match(metrics, /^modelgate_rejections_total\{plane="inference",reason="rate_limit",model="spam-limited",version=""\} 3$/m);
  // A name nobody loaded stays out of the labels: a URL cannot grow the metric.
  await t.server.inference.inject({ method: 'POST', url: '/v1/models/no-such-model/predict', payload: { text: 'x' }, headers: { authorization: 'Bearer mg_wrong' } });
  const after = (await t.server.admin.inject({ method: 'GET', url: '/metrics', headers: t.auth })).body;
  assert.match(after, /^modelgate_rejections_total\{plane="inference",reason="auth",model="",version=""\} \d+$/m);
  assert.doesNotMatch(after, /no-such-model/);
  assert.ok(Number(refused!.headers['retry-after']) >= 1);
  const records = (await auditor(`requestId=${refused!.headers['x-request-id']}`)).json().records;
  assert.equal(records.length, 1);
  assert.deepEqual([records[0].kind, records[0].status, JSON.parse(records[0].flags_json)], ['rejected', 429, ['rate-limited']]);
  // Refused after its version was chosen: the record says which version and arm, and which input.
  assert.deepEqual([records[0].version, records[0].route], ['1', 'primary']);
  assert.match(records[0].input_sha256, /^[0-9a-f]{64}$/);
});

test('feedback has a rate limit of its own: over it, 429 with Retry-After; inference goes on', async () => {
  const key = keys.customer;
  const asked = await predict('spam-filter', 'Hi Anna, the patch is in CVS.', key);
  assert.equal(asked.statusCode, 200);
  const feedback = (items: unknown[]) =>
    t.server.inference.inject({ method: 'POST', url: '/v1/models/spam-filter/feedback', payload: { items }, headers: { authorization: `Bearer ${key}` } });
  const first = await feedback([{ requestId: asked.headers['x-request-id'], label: 'ham' }, { requestId: 'nope-1', label: 'ham' }, { requestId: 'nope-2', label: 'ham' }]);
  assert.equal(first.statusCode, 200, first.body);
  assert.deepEqual(first.json().results.map((r: { outcome: string }) => r.outcome), ['accepted', 'unknown', 'unknown']);
  const refused = await feedback([{ requestId: 'nope-3', label: 'ham' }, { requestId: 'nope-4', label: 'ham' }]);
  assert.equal(refused.statusCode, 429, refused.body);
  assert.match(refused.json().error, /^feedback rate limit exceeded; retry in \d+ s$/);
  assert.ok(Number(refused.headers['retry-after']) >= 1);
  assert.equal((await predict('spam-filter', 'Hi Anna, the patch is in CVS.', key)).statusCode, 200);
});

test('out-of-distribution text is flagged by default and refused where the model says reject', async () => {
  const emoji = '😀🎉🔥'.repeat(30);
  const flagged = await predict('spam-filter', emoji);
  assert.equal(flagged.statusCode, 200);
  assert.ok(flagged.json().flags.includes('out-of-distribution'));
  assert.match(String(flagged.headers['x-modelgate-flags']), /out-of-distribution/);
  // Engine calls of spam-strict so far, from the batch-size histogram.
  const batches = async () => {
    const text = (await t.server.admin.inject({ method: 'GET', url: '/metrics', headers: t.auth })).body;
    const m = /^modelgate_batch_size_count\{[^}]*model="spam-strict"[^}]*\} (\d+)$/m.exec(text);
    return m ? Number(m[1]) : 0;
  };
  const before = await batches();
  const refused = await predict('spam-strict', emoji);
  assert.equal(refused.statusCode, 400);
  assert.match(refused.json().error, /out of distribution for this model: .+/);
  assert.equal(await batches(), before, 'refused before the model ran');
  const { spam } = loadSplit().test.reduce((acc, e) => (e.label === 'spam' && acc.spam.push(e.text), acc), { spam: [] as string[] });
  const real = await predict('spam-strict', spam.find((s) => s.length > 3000 && s.length < 8000)!);
  assert.equal(real.statusCode, 200, 'real mail passes the same check');
  assert.equal(await batches(), before + 1, 'the batch count does count engine calls');
  const audited = (await auditor('flag=out-of-distribution')).json().records;
  assert.ok(audited.some((r: { status: number }) => r.status === 200) && audited.some((r: { status: number }) => r.status === 400));

  // `record`: the answer is left alone, the verdict goes to the audit log and the metrics only.
  const quiet = await predict('spam-quiet', emoji);
  assert.equal(quiet.statusCode, 200);
  assert.deepEqual(quiet.json().flags, []);
  const [record] = (await auditor(`requestId=${quiet.headers['x-request-id']}`)).json().records;
  assert.deepEqual(JSON.parse(record.flags_json), ['out-of-distribution']);
  const metrics = (await t.server.admin.inject({ method: 'GET', url: '/metrics', headers: t.auth })).body;
  assert.match(metrics, /^modelgate_out_of_distribution_total\{model="spam-quiet",version="1",action="recorded"\} 1$/m);
  assert.match(metrics, /^modelgate_out_of_distribution_total\{model="spam-filter",version="1",action="flagged"\} \d+$/m);
  assert.match(metrics, /^modelgate_out_of_distribution_total\{model="spam-strict",version="1",action="rejected"\} 1$/m);
  assert.match(metrics, /^modelgate_rejections_total\{plane="inference",reason="out_of_distribution",model="spam-strict",version=""\} 1$/m);
  assert.doesNotMatch(metrics, /reason="input_constraint",model="spam-strict"/, 'an OOD refusal is not counted as a constraint');
});

test('a canary whose traffic is out of distribution fails on the security signal and is rolled back', async () => {
  for (const version of ['1', '2']) {
    const pkg = await packageOf(signer, MODEL, { ...MANIFEST, name: 'spam-canary', version });
    assert.equal((await t.server.admin.inject({ method: 'POST', url: '/admin/packages', payload: pkg, headers: { ...t.auth, 'content-type': 'application/octet-stream' } })).statusCode, 201);
  }
  await t.server.admin.inject({ method: 'POST', url: '/admin/models/spam-canary/versions/1/promote', payload: {}, headers: t.auth });
  const config = { steps: [50, 100], bakeMs: 0, minRequests: 20, thresholds: { maxP99Ratio: 1000, minP99DeltaMs: 60_000 } };
  const started = await t.server.admin.inject({ method: 'POST', url: '/admin/endpoints/spam-canary/canary', payload: { candidate: '2', config }, headers: t.auth });
  assert.equal(started.statusCode, 200, started.body);
  // Both versions answer the same, without errors: only the inputs are odd.
  for (let i = 0; i < 100; i++) assert.equal((await predict('spam-canary', `${'😀🎉🔥'.repeat(20)} ${i}`)).statusCode, 200);
  // Judged now, unless the server's own rollout timer (rolloutTickMs) already did during the traffic.
  await t.server.rollouts.tick();
  const history = (await t.server.admin.inject({ method: 'GET', url: '/admin/endpoints/spam-canary/history', headers: t.auth })).json().events;
  const rollback = history.find((e: { action: string }) => e.action === 'rollback');
  assert.ok(rollback, JSON.stringify(history.map((e: { action: string; reason: string }) => `${e.action}: ${e.reason}`)));
  assert.match(rollback.reason, /a security detector flags traffic to the candidate/);
  const analysis = rollback.detail.analysis as { candidate: { oodShare?: number; oodScored: number } };
  assert.ok((analysis.candidate.oodShare ?? 0) > 0.9, JSON.stringify(analysis.candidate));
  assert.ok(analysis.candidate.oodScored >= 20);
  const status = (await t.server.admin.inject({ method: 'GET', url: '/admin/endpoints/spam-canary', headers: t.auth })).json();
  assert.deepEqual(status.policy, { kind: 'single', version: '1' });
});

test('the output policy: top1 returns the label and a rounded confidence, no probabilities', async () => {
  const { test: held } = loadSplit();
  const res = await predict('spam-strict', held.find((e) => e.label === 'ham' && e.text.length > 3000)!.text);
  const body = res.json();
  assert.equal(body.prediction, 'ham');
  assert.equal(body.probabilities, undefined);
  assert.equal(Math.round(body.confidence * 10), body.confidence * 10, 'one decimal');
  const oip = await t.server.inference.inject({ method: 'POST', url: '/v2/models/spam-strict/infer', headers: t.auth, payload: { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: [held[0].text] }] } });
  assert.deepEqual(oip.json().outputs.map((o: { name: string }) => o.name).sort(), ['confidence', 'label']);
  // On the wire the rounded confidence is the short decimal, not a float32's expansion of it.
  const confidence = oip.json().outputs.find((o: { name: string }) => o.name === 'confidence');
  assert.equal(confidence.datatype, 'FP64');
  assert.match(oip.body, /"data":\[0\.\d\]/);
});

test('an extraction attacker is flagged and degraded; a customer sending real mail at the same rate is not', async () => {
  const { train, test: held } = loadSplit();
  const attack = randomBagAttacker(wordList(train.map((e) => e.text), 3000), 7);
  const benign = benignClient(held.map((e) => e.text), 11);
  let firstFlag = -1;
  let degraded = false;
  for (let i = 0; i < 700 && !degraded; i++) {
    const res = await predict('spam-filter', attack(), keys.attacker);
    assert.equal(res.statusCode, 200, res.body);
    const a = res.json();
    if (firstFlag < 0 && a.flags.includes('extraction-suspect')) firstFlag = i + 1;
    degraded = a.flags.includes('degraded-output');
    if (degraded) assert.equal(a.probabilities, undefined, 'a degraded caller gets no probabilities');
    const b = await predict('spam-filter', benign(), keys.customer);
    assert.equal(b.statusCode, 200, b.body);
    assert.ok(!b.json().flags.includes('extraction-suspect'), `the customer is never flagged (query ${i + 1})`);
  }
  assert.ok(firstFlag > 0 && firstFlag <= 100, `attacker flagged at query ${firstFlag}`);
  assert.ok(degraded, 'the attacker was degraded');
  const decisions = (await auditor('kind=decision')).json().records;
  assert.ok(decisions.some((r: { principal: string; detail_json: string }) => r.principal.includes(keys.attacker.split('_')[1]) && /extraction/.test(r.detail_json)));
  const metrics = (await t.server.admin.inject({ method: 'GET', url: '/metrics', headers: t.auth })).body;
  assert.match(metrics, /modelgate_extraction_escalations_total\{model="spam-filter",level="suspect",action="alert"\} 1/);
});

test('the auditor API: query by request id, export JSON lines, verify the chain, archive a range', async () => {
  const res = await predict('spam-filter', 'Hi Anna, the patch is in CVS.');
  const id = res.headers['x-request-id'];
  const [record] = (await auditor(`requestId=${id}`)).json().records;
  assert.deepEqual([record.kind, record.model, record.version, record.status], ['inference', 'spam-filter', '1', 200]);
  assert.match(record.input_sha256, /^[0-9a-f]{64}$/);
  assert.equal(JSON.parse(record.output_json).label, res.json().prediction);
  assert.ok(!JSON.stringify(record).includes('Hi Anna'), 'raw inputs are not stored');
  const exported = await t.server.admin.inject({ method: 'GET', url: '/admin/audit/export?kind=admin', headers: t.auth });
  const lines = exported.body.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.some((l) => /"action":"promote"/.test(l.detail_json)), 'admin actions are recorded');
  const verify = (await t.server.admin.inject({ method: 'GET', url: '/admin/audit/verify', headers: t.auth })).json();
  assert.equal(verify.ok, true, JSON.stringify(verify.firstBroken));
  await t.server.auditLog!.checkpoint();
  const archived = await t.server.admin.inject({ method: 'POST', url: '/admin/audit/archive', headers: t.auth, payload: { beforeSeq: Math.floor(verify.checked / 2) } });
  assert.equal(archived.statusCode, 200, archived.body);
  assert.equal((await t.server.admin.inject({ method: 'GET', url: '/admin/audit/verify', headers: t.auth })).json().ok, true, 'verification still passes after the archive');
  const viewer = await t.server.admin.inject({ method: 'POST', url: '/admin/keys', payload: { name: 'v', roles: ['viewer'] }, headers: t.auth });
  const denied = await t.server.admin.inject({ method: 'GET', url: '/admin/audit/records', headers: { authorization: `Bearer ${viewer.json().key}` } });
  assert.equal(denied.statusCode, 403);
});
