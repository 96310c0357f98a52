// Child process for the durability and two-writer tests: opens the store given as JSON in argv[2],
// signs with <argv[3]>/audit-signing.key, appends with a few concurrent workers and prints each
// committed seq on its own line. argv[4] is how many records to write; 0 means until killed.
// Not a test file itself.
import { AuditLog, loadOrCreateAuditSigningKey } from '../../src/audit/index.ts';
import { openStore, type StoreOptions } from '../../src/store/index.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as StoreOptions;
const key = loadOrCreateAuditSigningKey(process.argv[3] ?? '.');
const limit = Number(process.argv[4] ?? '0');
const label = process.argv[5] ?? 'child';
const store = await openStore(options);
const log = await AuditLog.open(store, { signer: key, checkpointEvery: 50 });
let started = 0;

async function worker(): Promise<void> {
  while (limit === 0 || started < limit) {
    const n = ++started;
    const { seq } = await log.append({ kind: 'inference', requestId: `${label}-${n}`, principal: label, model: 'spam', status: 200, latencyMs: 1.5 });
    // stdout on a pipe is synchronous on Linux: once written, the parent has it even if we die now.
    process.stdout.write(`${seq}\n`);
  }
}

await Promise.all(Array.from({ length: 16 }, () => worker()));
await log.close();
await store.close();
