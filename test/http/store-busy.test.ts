// A real server on PostgreSQL whose database is held up by another session's locks: admin reads and
// inference answer 503 MG_STORE_BUSY with Retry-After within databaseLockTimeoutMs instead of hanging,
// an inference whose audit record could not be committed is not answered, and everything serves again
// once the locks are gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { lockChain } from '../../src/audit/rows.ts';
import type { Store } from '../../src/store/index.ts';
import { addModel, writeModel } from '../fixtures/onnx.ts';
import { tempDir, testServer, type TestServer } from '../fixtures/server.ts';
import { whileHeld } from '../fixtures/locks.ts';
import { DATABASE_URL, postgresTarget } from '../store/targets.ts';

const target = postgresTarget();
const repo = tempDir();
writeModel(repo, 'add', '1', addModel());
let t: TestServer;
let holder: Store;

before(async () => {
  t = await testServer(repo, {
    databaseUrl: DATABASE_URL,
    databaseSchema: target.options.kind === 'postgres' ? target.options.schema : undefined,
    databaseLockTimeoutMs: 200,
  });
  holder = await target.open(); // another session on the same schema, without limits
});
after(async () => {
  await holder?.close();
  await t?.close();
  await target.cleanup();
});

const infer = () =>
  t.server.inference.inject({
    method: 'POST',
    url: '/v2/models/add/infer',
    payload: { inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }, { name: 'b', datatype: 'FP32', shape: [1, 3], data: [1, 1, 1] }] },
    headers: t.auth,
  });

test('a table locked by another session: the admin read answers 503 MG_STORE_BUSY with Retry-After, then serves again', async () => {
  assert.equal((await t.server.admin.inject({ method: 'GET', url: '/admin/keys', headers: t.auth })).statusCode, 200);
  await whileHeld(holder, (trx) => sql`lock table api_keys in access exclusive mode`.execute(trx), async () => {
    const res = await t.server.admin.inject({ method: 'GET', url: '/admin/keys', headers: t.auth });
    assert.equal(res.statusCode, 503, res.body);
    assert.equal(res.headers['retry-after'], '1');
    assert.deepEqual(res.json(), { error: 'the request could not be completed: the database did not answer in time; retry later' });
  });
  assert.equal((await t.server.admin.inject({ method: 'GET', url: '/admin/keys', headers: t.auth })).statusCode, 200);
});

test('the audit chain locked by another replica: inference is not answered without its record (503), and is once the lock is free', async () => {
  assert.equal((await infer()).statusCode, 200);
  const before = Math.max(0, ...(await holder.db.selectFrom('audit_records').select('seq').execute()).map((r) => Number(r.seq)));
  await whileHeld(holder, (trx) => lockChain(trx, 'postgres'), async () => {
    const res = await infer();
    assert.equal(res.statusCode, 503, res.body);
    assert.equal(res.headers['retry-after'], '1');
    assert.deepEqual(res.json(), { error: 'the audit record could not be committed: the database did not answer in time; retry later' });
    assert.equal((await t.server.inference.inject({ method: 'GET', url: '/v2/health/live' })).statusCode, 200, 'the server keeps serving');
  });
  const res = await infer();
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json().outputs[0].data, [2, 3, 4]);
  const metrics = (await t.server.admin.inject({ method: 'GET', url: '/metrics', headers: t.auth })).body;
  assert.match(metrics, /^modelgate_audit_write_failures_total \d+$/m);
  assert.ok(Number(/^modelgate_audit_write_failures_total (\d+)$/m.exec(metrics)![1]) >= 1, 'the refused write is counted');
  assert.ok(Number(/^modelgate_audit_records_total (\d+)$/m.exec(metrics)![1]) >= 2);
  const records = await holder.db.selectFrom('audit_records').select(['kind', 'status']).where('seq', '>', before).execute();
  assert.deepEqual(records.filter((r) => r.status === 200).map((r) => r.kind), ['inference'], 'the answered request has its record');
});
