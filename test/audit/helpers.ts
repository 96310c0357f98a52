// Shared pieces of the audit tests: a signing key, an opened store and log per test, and the
// entries the tests append.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { AuditLog, auditKeyId, type AuditEntry, type AuditLogOptions, type AuditSigner } from '../../src/audit/index.ts';
import type { Store } from '../../src/store/index.ts';
import type { StoreTarget } from '../store/targets.ts';

export interface TestKey {
  signer: AuditSigner;
  publicKey: KeyObject;
}

export function testKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { signer: { privateKey, keyId: auditKeyId(publicKey) }, publicKey };
}

export interface Opened {
  target: StoreTarget;
  store: Store;
  log: AuditLog;
  key: TestKey;
}

/** Runs fn with a fresh database, store and log; closes and removes everything afterwards. */
export async function withLog(makeTarget: () => StoreTarget, options: Partial<AuditLogOptions>, fn: (o: Opened) => Promise<void>): Promise<void> {
  const target = makeTarget();
  try {
    const store = await target.open();
    const key = testKey();
    const log = await AuditLog.open(store, { signer: key.signer, ...options });
    try {
      await fn({ target, store, log, key });
    } finally {
      await log.close().catch(() => undefined);
      await store.close();
    }
  } finally {
    await target.cleanup();
  }
}

export function entry(i: number, extra: Partial<AuditEntry> = {}): AuditEntry {
  return {
    kind: 'inference',
    time: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(),
    requestId: `req-${i}`,
    principal: i % 2 === 0 ? 'alice' : 'bob',
    endpoint: 'spam',
    model: i % 3 === 0 ? 'fraud' : 'spam',
    version: '1.0.0',
    route: 'primary',
    inputSha256: 'ab'.repeat(32),
    output: { label: 'ham', confidence: 0.93 },
    flags: [],
    status: 200,
    latencyMs: 3.25,
    ...extra,
  };
}

/** Appends n entries concurrently (one group), then waits for them. */
export async function appendMany(log: AuditLog, n: number, from = 1): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, k) => log.append(entry(from + k))));
}
