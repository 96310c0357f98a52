// `modelgate audit verify --from/--to` on a range the log does not reach: the report stays as it was
// (ok, checked 0; exit 0; the JSON unchanged on stdout) and a note on stderr says no record was in it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog } from '../../src/audit/index.ts';
import { appendMany, testKey } from '../audit/helpers.ts';
import { sqliteTarget } from '../store/targets.ts';
import { runCli } from './run.ts';

const target = sqliteTarget();
const dataDir = join(target.dir, 'data');
const pem = join(target.dir, 'trusted.pub');
before(async () => {
  const store = await target.open();
  const key = testKey();
  const log = await AuditLog.open(store, { signer: key.signer, checkpointEvery: 10 });
  await appendMany(log, 10);
  await appendMany(log, 15, 11);
  await log.close();
  await store.close();
  writeFileSync(pem, key.publicKey.export({ type: 'spki', format: 'pem' }));
});
after(() => target.cleanup());

const verify = (...args: string[]) => runCli(['audit', 'verify', '--data-dir', dataDir, '--trust', pem, ...args]);

test('a range past the end of the log: exit 0, the JSON report intact, a note on stderr', async () => {
  const r = await verify('--from', '1000', '--to', '2000', '--json');
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out);
  assert.equal(report.ok, true);
  assert.equal(report.lastSeq, 25);
  assert.equal(r.err, 'note: no record in the range 1000..2000: the log ends at seq 25\n');
});

test('the same in the readable report, and with --from alone', async () => {
  const r = await verify('--from', '1000');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^OK: every record, link and checkpoint verifies$/m);
  assert.equal(r.err, 'note: no record in the range 1000..end: the log ends at seq 25\n');
});

test('a range the log reaches has no note', async () => {
  const r = await verify('--from', '12', '--to', '15', '--json');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  assert.ok(JSON.parse(r.out).checked > 0);
});

test('--from after --to is refused as a usage error', async () => {
  const r = await verify('--from', '20', '--to', '10');
  assert.equal(r.code, 2);
  assert.equal(r.err, 'modelgate: --from 20 is after --to 10\n');
});
