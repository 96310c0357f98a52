// The auditor's side on every store: queries and cursors, JSON lines export, retention archives
// that keep verification valid, captured payloads, and the `modelgate audit` command.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  AuditLog, archiveAuditLog, capturePayload, exportAuditJsonl, queryAuditRecords, recordHash, verifyAuditLog,
  type AuditFilter, type AuditRecord,
} from '../../src/audit/index.ts';
import { auditCommand } from '../../src/cli/audit.ts';
import type { Store } from '../../src/store/index.ts';
import type { StoreTarget } from '../store/targets.ts';
import { appendMany, entry, withLog } from './helpers.ts';

/** 30 inferences (every 7th rejected with rate-limited, every 5th out-of-distribution) and an admin action. */
async function fillVaried(log: AuditLog): Promise<void> {
  await Promise.all(Array.from({ length: 30 }, (_, k) => {
    const i = k + 1;
    const flags = [...(i % 5 === 0 ? ['out-of-distribution'] : []), ...(i % 7 === 0 ? ['rate-limited'] : [])];
    return log.append(entry(i, i % 7 === 0 ? { kind: 'rejected', status: 429, flags, output: null } : { flags }));
  }));
  await log.append({ kind: 'admin', principal: 'root', model: 'spam', detail: { action: 'promote', target: 'spam@2.0.0', before: { production: '1.0.0' }, after: { production: '2.0.0' }, reason: 'canary healthy' } });
}

async function all(store: Store, filter: AuditFilter): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  let after: number | undefined;
  for (;;) {
    const page = await queryAuditRecords(store, filter, { limit: 7, ...(after === undefined ? {} : { after }) });
    out.push(...page.records);
    if (page.nextCursor === undefined) return out;
    after = page.nextCursor;
  }
}

const seqs = (rs: AuditRecord[]) => rs.map((r) => r.seq);
const range = (from: number, to: number, keep: (i: number) => boolean = () => true) =>
  Array.from({ length: to - from + 1 }, (_, k) => from + k).filter(keep);

async function cli(args: string[]): Promise<{ out: string; err: string; code: number }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => { out += d.toString(); });
  stderr.on('data', (d: Buffer) => { err += d.toString(); });
  let code = 0;
  await auditCommand({ stdout, stderr, setExitCode: (c) => { code = c; } }).exitOverride().parseAsync(args, { from: 'user' });
  return { out, err, code };
}

function storeFlags(target: StoreTarget): string[] {
  const o = target.options;
  return o.kind === 'sqlite' ? ['--data-dir', dirname(o.path)] : ['--database-url', o.url, '--database-schema', o.schema ?? 'public'];
}

export function readContract(makeTarget: () => StoreTarget): void {
  const label = makeTarget.name.replace(/Target$/, '');
  describe(`audit queries, export and retention (${label})`, () => {
    test(`${label}: queries by principal, model, request id, flag, kind and time, paged by cursor`, () => withLog(makeTarget, {}, async ({ store, log }) => {
      await fillVaried(log);
      assert.deepEqual(seqs(await all(store, {})), range(1, 31));
      assert.deepEqual(seqs(await all(store, { principal: 'alice' })), range(1, 30, (i) => i % 2 === 0));
      assert.deepEqual(seqs(await all(store, { model: 'fraud' })), range(1, 30, (i) => i % 3 === 0));
      assert.deepEqual(seqs(await all(store, { requestId: 'req-7' })), [7]);
      assert.deepEqual(seqs(await all(store, { flag: 'rate-limited' })), [7, 14, 21, 28]);
      assert.deepEqual(seqs(await all(store, { flagged: true })), range(1, 30, (i) => i % 5 === 0 || i % 7 === 0));
      assert.deepEqual(seqs(await all(store, { kind: 'rejected', principal: 'bob' })), [7, 21]);
      assert.deepEqual(seqs(await all(store, { fromTime: '2025-01-01T00:00:10Z', toTime: '2025-01-01T00:00:20Z' })), range(10, 19));
      const [admin] = await all(store, { kind: 'admin' });
      assert.deepEqual(JSON.parse(admin.detail_json!).after, { production: '2.0.0' });
      await assert.rejects(queryAuditRecords(store, { flag: '%' }), { code: 'MG_INVALID_REQUEST' });
    }));

    test(`${label}: export writes JSON lines whose hashes recompute`, () => withLog(makeTarget, {}, async ({ store, log }) => {
      await fillVaried(log);
      const out = new PassThrough();
      let text = '';
      out.on('data', (d: Buffer) => { text += d.toString(); });
      assert.equal(await exportAuditJsonl(store, { principal: 'bob' }, out), 15);
      const lines = text.trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
      assert.deepEqual(seqs(lines), range(1, 30, (i) => i % 2 === 1));
      for (const r of lines) assert.equal(recordHash(r.prev_hash, r), r.hash);
    }));

    test(`${label}: archiving keeps the cut's checkpoint; the rest verifies and the chain goes on`, () => withLog(makeTarget, { checkpointEvery: 10 }, async ({ target, store, log, key }) => {
      for (let g = 0; g < 3; g++) await appendMany(log, 10, g * 10 + 1);
      await appendMany(log, 5, 31);
      const file = join(target.dir, 'audit-1.jsonl');
      const result = await archiveAuditLog(store, { beforeSeq: 26, file, actor: 'auditor', verifyWith: [key.publicKey] });
      assert.deepEqual([result.archived, result.fromSeq, result.toSeq, result.records], [true, 1, 20, 20]);
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
      assert.deepEqual(seqs(lines), range(1, 20));
      assert.equal(lines[19].hash, result.headHash, 'the file ends at the signed head');
      const report = await verifyAuditLog(store, { publicKeys: [key.publicKey] });
      assert.equal(report.ok, true, JSON.stringify(report.firstBroken));
      assert.deepEqual([report.anchor.kind, report.anchor.seq, report.checked], ['checkpoint', 20, 15]);
      // Nothing new to cut before 26; archiving everything after a final checkpoint leaves an empty
      // table, and the chain still resumes from the archive's head.
      assert.equal((await archiveAuditLog(store, { beforeSeq: 26, file: join(target.dir, 'none.jsonl'), actor: 'auditor' })).archived, false);
      await log.close();
      const rest = await archiveAuditLog(store, { beforeTime: '2999-01-01T00:00:00Z', file: join(target.dir, 'audit-2.jsonl'), actor: 'auditor' });
      assert.deepEqual([rest.fromSeq, rest.toSeq], [21, 35]);
      const resumed = await AuditLog.open(store, { signer: key.signer });
      assert.equal((await resumed.append(entry(36))).seq, 36);
      await resumed.close();
      assert.equal((await verifyAuditLog(store, { publicKeys: [key.publicKey] })).ok, true);
      // Removing the archive rows to pass off archived records as never written is caught.
      await store.db.deleteFrom('audit_archives').execute();
      const hidden = await verifyAuditLog(store, { publicKeys: [key.publicKey] });
      assert.deepEqual([hidden.firstBroken?.seq, hidden.firstBroken?.problem], [1, 'deleted']);
    }));

    test(`${label}: a captured payload is stored redacted in its record`, () => withLog(makeTarget, {}, async ({ store, log }) => {
      const inputs = [{ name: 'text', datatype: 'BYTES' as const, shape: [1], data: ['mail bob@example.com from 10.1.2.3'] }];
      const payload = capturePayload({ capture: true, sampleRate: 1 }, 'req-1', inputs);
      await log.append(entry(1, { payload: payload ?? null }));
      const [r] = await all(store, { requestId: 'req-1' });
      assert.match(r.payload_json!, /mail \[EMAIL\] from \[IPV4\]/);
      assert.doesNotMatch(r.payload_json!, /example\.com|10\.1\.2\.3/);
    }));

    test(`${label}: modelgate audit verify / export / archive`, () => withLog(makeTarget, { checkpointEvery: 10 }, async ({ target, store, log, key }) => {
      for (let g = 0; g < 2; g++) await appendMany(log, 10, g * 10 + 1);
      const pem = join(target.dir, 'trusted.pub');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(pem, key.publicKey.export({ type: 'spki', format: 'pem' }));
      const ok = await cli(['verify', ...storeFlags(target), '--trust', pem]);
      assert.equal(ok.code, 0);
      assert.match(ok.out, /checked: 20 records \(1\.\.20\), 2 signed checkpoints/);
      assert.match(ok.out, /^OK/m);
      const ranged = await cli(['verify', ...storeFlags(target), '--trust', pem, '--from', '12', '--to', '15', '--json']);
      assert.equal(JSON.parse(ranged.out).anchor.seq, 10);
      const exported = await cli(['export', ...storeFlags(target), '--principal', 'alice', '--from-time', '2025-01-01T00:00:05Z']);
      assert.deepEqual(exported.out.trim().split('\n').map((l) => (JSON.parse(l) as AuditRecord).seq), range(6, 20, (i) => i % 2 === 0));
      const archived = await cli(['archive', ...storeFlags(target), '--before-seq', '15', '--to-file', join(target.dir, 'cli.jsonl'), '--trust', pem]);
      assert.match(archived.out, /archived records 1\.\.10 \(10\)/);
      await store.db.updateTable('audit_records').set({ route: 'shadow' }).where('seq', '=', 13).execute();
      const bad = await cli(['verify', ...storeFlags(target), '--trust', pem]);
      assert.equal(bad.code, 1);
      assert.match(bad.out, /BROKEN at seq 13: modified/);
    }));
  });
}
