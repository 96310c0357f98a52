// Feedback joined through the shared record, with the real server and the real spam filter: a label
// for a request answered before a restart is still accepted (the audit log says what the model
// answered, row by row for a batch), is counted against the right prediction, is recorded as ground
// truth, and is accepted once however often it is sent; an unknown id and an expired one are not.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeSigner, packageOf, trusting, type Signer } from '../fixtures/packages.ts';
import { tempDir, testServer, type TestServer } from '../fixtures/server.ts';
import { waitFor } from '../fixtures/wait.ts';

const MODEL = readFileSync('examples/models/spam-filter/1/model.onnx');
const MANIFEST = JSON.parse(readFileSync('examples/models/spam-filter/1/manifest.json', 'utf8'));
const HAM = 'Hi Anna, the patch is in CVS. Lunch on Friday?';
const SPAM = 'FREE money!!! Click here now to claim your prize, act now, limited offer, buy cheap viagra';

let signer: Signer;
let config: string;
let dataDir: string;
let t: TestServer;

const start = () => testServer(undefined, trusting(signer, { dataDir, extractionEnabled: false, rateLimitsEnabled: false }), config);
const feedback = (payload: Record<string, unknown>) => t.server.inference.inject({ method: 'POST', url: '/v1/models/spam-filter/feedback', payload, headers: t.auth });
const status = async () => (await t.server.admin.inject({ method: 'GET', url: '/admin/models/spam-filter/monitoring', headers: t.auth })).json().versions[0].feedback;

before(async () => {
  signer = makeSigner();
  const dir = tempDir();
  config = join(dir, 'modelgate.json');
  dataDir = join(dir, 'data');
  writeFileSync(config, JSON.stringify({ feedback: { minLabelled: 1 } }));
  t = await start();
  const pkg = await packageOf(signer, MODEL, MANIFEST);
  assert.equal((await t.server.admin.inject({ method: 'POST', url: '/admin/packages', payload: pkg, headers: { ...t.auth, 'content-type': 'application/octet-stream' } })).statusCode, 201);
  assert.equal((await t.server.admin.inject({ method: 'POST', url: '/admin/models/spam-filter/versions/1/promote', payload: {}, headers: t.auth })).statusCode, 200);
});
after(() => t.close());

test('labels for requests answered before a restart are joined through the audit log, once each', async () => {
  const single = (await t.server.inference.inject({ method: 'POST', url: '/v1/models/spam-filter/predict', payload: { text: HAM }, headers: t.auth })).json();
  const batch = (await t.server.inference.inject({ method: 'POST', url: '/v1/models/spam-filter/predict', payload: { instances: [{ text: HAM }, { text: SPAM }, { text: HAM }] }, headers: t.auth })).json();
  assert.deepEqual(batch.predictions.map((p: { prediction: string }) => p.prediction), ['ham', 'spam', 'ham'], 'the model tells them apart');
  assert.equal(single.prediction, 'ham');

  await t.server.close();
  t = await start();
  const fresh = await t.server.admin.inject({ method: 'GET', url: '/admin/models/spam-filter/monitoring', headers: t.auth });
  assert.deepEqual(fresh.json().versions, [], 'a fresh process has served nothing and remembers no prediction');

  // The truth given for row 1 is what the model said (spam), for the single request the opposite:
  // accuracy 0.5 shows both were joined to their own prediction, not to row 0 or to each other.
  const res = await feedback({
    items: [
      { requestId: `${batch.requestId}/1`, label: 'spam' },
      { requestId: single.requestId, label: 'spam' },
      { requestId: `${batch.requestId}/1`, label: 'ham' },
      { requestId: 'never-answered', label: 'ham' },
      { requestId: batch.requestId, label: 'ham' },
    ],
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json().results.map((r: { outcome: string; version?: string }) => [r.outcome, r.version]), [
    ['accepted', '1'], ['accepted', '1'], ['duplicate', '1'], ['unknown', undefined],
    ['unknown', undefined], // a batch must be labelled row by row
  ]);
  const fb = await status();
  assert.equal(fb.labelled, 2);
  assert.equal(fb.metrics.accuracy, 0.5);

  const again = await feedback({ requestId: single.requestId, label: 'ham' });
  assert.equal(again.json().results[0].outcome, 'duplicate');
  const rows = await t.server.store.db.selectFrom('feedback_labels').select(['request_id', 'predicted', 'label', 'version', 'principal']).orderBy('request_id').execute();
  assert.deepEqual(rows.map((r) => [r.request_id, r.predicted, r.label, r.version, r.principal]).sort(), [
    [`${batch.requestId}/1`, 'spam', 'spam', '1', 'bootstrap-admin'],
    [single.requestId, 'ham', 'spam', '1', 'bootstrap-admin'],
  ].sort());

  // Another spelling of a row is not that row: it would let one prediction be counted twice.
  assert.equal((await feedback({ requestId: `${batch.requestId}/01`, label: 'spam' })).json().results[0].outcome, 'unknown');
  // Only the principal that asked (or an admin) may label a request; for another it does not exist.
  const other = await t.server.admin.inject({ method: 'POST', url: '/admin/keys', payload: { name: 'other', roles: ['predictor'], models: ['*'] }, headers: t.auth });
  const byOther = await t.server.inference.inject({
    method: 'POST', url: '/v1/models/spam-filter/feedback', payload: { requestId: `${batch.requestId}/0`, label: 'ham' }, headers: { authorization: `Bearer ${other.json().key}` },
  });
  assert.deepEqual(byOther.json().results, [{ requestId: `${batch.requestId}/0`, outcome: 'unknown' }]);

  // Labelled once across a second restart too: the ledger, not the process, says so.
  await t.server.close();
  t = await start();
  assert.equal((await feedback({ requestId: `${batch.requestId}/1`, label: 'spam' })).json().results[0].outcome, 'duplicate');
  assert.equal((await feedback({ requestId: `${batch.requestId}/2`, label: 'ham' })).json().results[0].outcome, 'accepted');
});

test('labels saying the model is wrong become decay: its status, its metric and a decision record', async () => {
  const answers: { requestId: string; prediction: string }[] = [];
  for (let i = 0; i < 12; i++) {
    answers.push((await t.server.inference.inject({ method: 'POST', url: '/v1/models/spam-filter/predict', payload: { text: `${HAM} (${i})` }, headers: t.auth })).json());
  }
  assert.ok(answers.every((a) => a.prediction === 'ham'));
  const res = await feedback({ items: answers.map((a) => ({ requestId: a.requestId, label: 'spam' })) });
  assert.ok(res.json().results.every((r: { outcome: string }) => r.outcome === 'accepted'), res.body);
  const fb = await status();
  assert.equal(fb.decayed, true, JSON.stringify(fb));
  const metrics = (await t.server.admin.inject({ method: 'GET', url: '/metrics', headers: t.auth })).body;
  assert.match(metrics, /^modelgate_feedback_decayed\{model="spam-filter",version="1"\} 1$/m);
  const accuracy = /^modelgate_feedback_metric\{model="spam-filter",version="1",metric="accuracy"\} ([0-9.e-]+)$/m.exec(metrics);
  assert.ok(accuracy, 'the rolling accuracy is exported');
  assert.equal(Number(accuracy[1]), fb.metrics.accuracy, 'the same figure as the monitoring status');
  // The decision is audited as it is taken, without holding the labelling request: wait for it.
  const decision = await waitFor<{ detail_json: string }>(
    async () => (await t.server.admin.inject({ method: 'GET', url: '/admin/audit/records?kind=decision&flag=decay', headers: t.auth })).json().records[0],
    'the decay decision record',
  );
  assert.equal(JSON.parse(decision.detail_json).action, 'decay-detected');
});

test('a label for a prediction older than the feedback TTL is expired, also when joined through the audit log', async () => {
  await t.server.close();
  writeFileSync(config, JSON.stringify({ feedback: { minLabelled: 1, ttlMs: 200 } }));
  t = await start();
  const answer = (await t.server.inference.inject({ method: 'POST', url: '/v1/models/spam-filter/predict', payload: { text: HAM }, headers: t.auth })).json();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await feedback({ requestId: answer.requestId, label: 'ham' })).json().results[0].outcome, 'expired', 'remembered here');
  await t.server.close();
  t = await start();
  assert.equal((await feedback({ requestId: answer.requestId, label: 'ham' })).json().results[0].outcome, 'expired', 'joined through the audit log');
});
