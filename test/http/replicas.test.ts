// Two real servers on one PostgreSQL schema, each with its own data folder, as two replicas behind a
// load balancer: the package uploaded to one is served by the other; a principal the
// first blocks is refused by the second once it has read the store, and a lift made through the
// second reaches the first, whose detector forgets the pair (its own memory would still block it);
// a label sent to either replica is joined to the prediction the other made, and counted once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeSigner, packageOf, trusting } from '../fixtures/packages.ts';
import { tempDir, testServer, type TestServer } from '../fixtures/server.ts';
import { DATABASE_URL, postgresTarget } from '../store/targets.ts';
import { waitFor } from '../fixtures/wait.ts';

const MODEL = readFileSync('examples/models/spam-filter/1/model.onnx');
const MANIFEST = JSON.parse(readFileSync('examples/models/spam-filter/1/manifest.json', 'utf8'));
const target = postgresTarget();
let a: TestServer;
let b: TestServer;
let key: string;
let principal: string;

before(async () => {
  const signer = makeSigner();
  const dir = tempDir();
  const config = join(dir, 'modelgate.json');
  writeFileSync(config, JSON.stringify({
    databaseUrl: DATABASE_URL,
    databaseSchema: target.options.kind === 'postgres' ? target.options.schema : undefined,
    rateLimits: { perPrincipal: null, perModel: null },
    extraction: { volume: { maxQueries: 3, weight: 5 } },
    feedback: { minLabelled: 1 },
  }));
  // A data folder each, as replicas without a shared volume: the package registered through the first
  // reaches the second through PostgreSQL, bytes included (DatabaseBlobStore).
  a = await testServer(undefined, trusting(signer, { dataDir: join(dir, 'a') }), config);
  const pkg = await packageOf(signer, MODEL, MANIFEST);
  assert.equal((await a.server.admin.inject({ method: 'POST', url: '/admin/packages', payload: pkg, headers: { ...a.auth, 'content-type': 'application/octet-stream' } })).statusCode, 201);
  assert.equal((await a.server.admin.inject({ method: 'POST', url: '/admin/models/spam-filter/versions/1/promote', payload: {}, headers: a.auth })).statusCode, 200);
  const res = await a.server.admin.inject({ method: 'POST', url: '/admin/keys', payload: { name: 'scraper', roles: ['predictor'], models: ['*'] }, headers: a.auth });
  key = res.json().key;
  principal = `key:${res.json().record.id}`;
  b = await testServer(undefined, trusting(signer, { dataDir: join(dir, 'b') }), config);
  assert.equal((await b.server.inference.inject({ method: 'GET', url: '/v2/models/spam-filter/ready', headers: b.auth })).statusCode, 200, 'the second replica serves the package');
});
after(async () => {
  await a?.close();
  await b?.close();
  await target.cleanup();
});

const predict = (t: TestServer) =>
  t.server.inference.inject({ method: 'POST', url: '/v1/models/spam-filter/predict', payload: { text: 'Lunch on Friday?' }, headers: { authorization: `Bearer ${key}` } });

test('a block on one replica holds on the other, and a lift on either reaches both', async () => {
  for (let i = 0; i < 3; i++) assert.equal((await predict(a)).statusCode, 200);
  assert.equal((await predict(a)).statusCode, 403, 'blocked where it was detected');
  assert.equal((await predict(b)).statusCode, 200, 'the other replica has not read the store yet');
  // The escalation is stored without delaying the answer; wait for it before the poll reads.
  await waitFor(async () => (await a.server.store.db.selectFrom('extraction_levels').select('level').execute()).length === 1, 'the stored level');
  await b.server.extractionControl!.sync(); // what registryPollMs does on a timer
  assert.equal((await predict(b)).statusCode, 403, 'blocked on the other replica too');

  const lifted = await b.server.admin.inject({ method: 'DELETE', url: `/admin/models/spam-filter/extraction/${encodeURIComponent(principal)}`, headers: b.auth });
  assert.equal(lifted.statusCode, 200, lifted.body);
  assert.equal(lifted.json().before, 'critical');
  assert.equal((await predict(b)).statusCode, 200);
  assert.equal((await predict(a)).statusCode, 403, 'the first replica still remembers the block on its own');
  await a.server.extractionControl!.sync();
  assert.equal((await predict(a)).statusCode, 200, 'and forgets it once it reads the lift');
});


test('a label sent to one replica joins the prediction the other made, and is accepted once across both', async () => {
  const answer = (await a.server.inference.inject({ method: 'POST', url: '/v1/models/spam-filter/predict', payload: { text: 'Lunch on Friday?' }, headers: a.auth })).json();
  assert.equal(answer.prediction, 'ham');
  const label = (t: TestServer, truth: string) =>
    t.server.inference.inject({ method: 'POST', url: '/v1/models/spam-filter/feedback', payload: { requestId: answer.requestId, label: truth }, headers: t.auth });
  const onB = await label(b, 'ham');
  assert.deepEqual(onB.json().results, [{ requestId: answer.requestId, outcome: 'accepted', version: '1' }]);
  assert.equal((await label(a, 'spam')).json().results[0].outcome, 'duplicate', 'the replica that answered it knows it was labelled');
  assert.equal((await label(b, 'ham')).json().results[0].outcome, 'duplicate');
  const status = (await b.server.admin.inject({ method: 'GET', url: '/admin/models/spam-filter/monitoring', headers: b.auth })).json();
  assert.deepEqual([status.versions[0].feedback.labelled, status.versions[0].feedback.metrics.accuracy], [1, 1]);
});
