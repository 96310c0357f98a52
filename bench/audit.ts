// Micro-benchmark of the audit writer on SQLite (WAL): appends/s and the process CPU each append
// costs (user + system, in µs: what the writer takes from the event loop), for the two write paths
// (Kysely, as PostgreSQL uses; statements prepared once on the raw connection, SQLite's default),
// with one transaction per record, group commit on the next event-loop turn (the server's default)
// and group commit every 2 ms, at synchronous=NORMAL (the store's setting: safe against a process
// crash) and FULL (also safe against power loss: one fsync per transaction). Each figure is the
// median of `repeats` runs, the two paths interleaved. Not a test.
// Run: node --import tsx bench/audit.ts [records] [concurrency] [repeats]
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { AuditLog, auditKeyId, type AuditEntry } from '../src/audit/index.ts';
import { openStore } from '../src/store/index.ts';

const records = Number(process.argv[2] ?? 20000);
const concurrency = Number(process.argv[3] ?? 256);
const repeats = Number(process.argv[4] ?? 3);
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signer = { privateKey, keyId: auditKeyId(publicKey) };

const entry = (i: number): AuditEntry => ({
  kind: 'inference', requestId: `req-${i}`, principal: 'bench', endpoint: 'spam', model: 'spam', version: '1.0.0',
  route: 'primary', inputSha256: 'ab'.repeat(32), output: { label: 'ham', confidence: 0.97 }, status: 200, latencyMs: 2.5,
});

interface Mode {
  label: string;
  maxBatch: number;
  flushIntervalMs: number;
  /** One transaction per record is slow: a fifth of the records gives the same per-append figures. */
  records: number;
}

interface Result {
  perSecond: number;
  flushes: number;
  cpuUs: number;
}

async function run(mode: Mode, synchronous: 'NORMAL' | 'FULL', preparedSqlite: boolean): Promise<Result> {
  const { maxBatch, flushIntervalMs, records } = mode;
  const dir = mkdtempSync(join(tmpdir(), 'mg-bench-audit-'));
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'modelgate.db') });
  try {
    await sql.raw(`pragma synchronous = ${synchronous}`).execute(store.db);
    const log = await AuditLog.open(store, { signer, maxBatch, flushIntervalMs, preparedSqlite });
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

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const modes: Mode[] = [
  { label: 'one transaction per record', maxBatch: 1, flushIntervalMs: 0, records: Math.ceil(records / 5) },
  { label: 'group commit (next turn / 256)', maxBatch: 256, flushIntervalMs: 0, records },
  { label: 'group commit (2 ms / 256)', maxBatch: 256, flushIntervalMs: 2, records },
];

console.log(`audit appends on SQLite (WAL): ${records} records (${modes[0].records} one per transaction), ${concurrency} in flight, median of ${repeats}`);
console.log('kysely: the portable path (PostgreSQL\'s); prepared: statements prepared once on the raw connection (SQLite\'s)');
for (const synchronous of ['NORMAL', 'FULL'] as const) {
  for (const mode of modes) {
    const runs: Record<'kysely' | 'prepared', Result[]> = { kysely: [], prepared: [] };
    for (let i = 0; i < repeats; i++) {
      runs.kysely.push(await run(mode, synchronous, false));
      runs.prepared.push(await run(mode, synchronous, true));
    }
    const fig = (rs: Result[]) => {
      const rate = median(rs.map((r) => r.perSecond));
      const cpu = median(rs.map((r) => r.cpuUs));
      return { rate, cpu, text: `${rate.toFixed(0).padStart(6)}/s ${cpu.toFixed(1).padStart(6)} µs CPU/append` };
    };
    const k = fig(runs.kysely);
    const p = fig(runs.prepared);
    const flushes = median(runs.prepared.map((r) => r.flushes));
    console.log(
      `synchronous=${synchronous.padEnd(6)} ${mode.label.padEnd(31)} kysely ${k.text} | prepared ${p.text} | CPU x${(p.cpu / k.cpu).toFixed(2)}, rate x${(p.rate / k.rate).toFixed(2)} (${flushes} transactions)`,
    );
  }
}
