// Micro-benchmark of the audit writer on SQLite (WAL): appends/s with group commit against one
// transaction per record, at synchronous=NORMAL (the store's setting: safe against a process
// crash) and FULL (also safe against power loss: one fsync per transaction), with the process CPU
// each append costs (user + system, in µs: what the writer takes from the event loop). Not a test.
// Run: node --import tsx bench/audit.ts [records] [concurrency]
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { AuditLog, auditKeyId, type AuditEntry } from '../src/audit/index.ts';
import { openStore } from '../src/store/index.ts';

const records = Number(process.argv[2] ?? 20000);
const concurrency = Number(process.argv[3] ?? 256);
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signer = { privateKey, keyId: auditKeyId(publicKey) };

const entry = (i: number): AuditEntry => ({
  kind: 'inference', requestId: `req-${i}`, principal: 'bench', endpoint: 'spam', model: 'spam', version: '1.0.0',
  route: 'primary', inputSha256: 'ab'.repeat(32), output: { label: 'ham', confidence: 0.97 }, status: 200, latencyMs: 2.5,
});

async function run(maxBatch: number, synchronous: 'NORMAL' | 'FULL'): Promise<{ perSecond: number; flushes: number; cpuUs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'mg-bench-audit-'));
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'modelgate.db') });
  try {
    await sql.raw(`pragma synchronous = ${synchronous}`).execute(store.db);
    const log = await AuditLog.open(store, { signer, maxBatch, flushIntervalMs: 2 });
    let next = 0;
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    // `concurrency` requests in flight, each waiting for its record as a response would.
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < records) await log.append(entry(next++));
    }));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    const { flushes } = log.stats();
    await log.close();
    return { perSecond: records / seconds, flushes, cpuUs: (used.user + used.system) / records };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`audit appends on SQLite (WAL): ${records} records, ${concurrency} in flight`);
for (const synchronous of ['NORMAL', 'FULL'] as const) {
  const one = await run(1, synchronous);
  const group = await run(256, synchronous);
  const cpu = (r: { cpuUs: number }) => `${r.cpuUs.toFixed(1).padStart(6)} µs CPU/append`;
  console.log(`synchronous=${synchronous.padEnd(6)} one transaction per record: ${one.perSecond.toFixed(0).padStart(7)}/s ${cpu(one)} (${one.flushes} transactions)`);
  console.log(`synchronous=${synchronous.padEnd(6)} group commit (2 ms / 256):   ${group.perSecond.toFixed(0).padStart(7)}/s ${cpu(group)} (${group.flushes} transactions)  x${(group.perSecond / one.perSecond).toFixed(1)}`);
}
