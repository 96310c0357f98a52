// The ApiKeyService contract, run against SQLite and the real PostgreSQL: create, authenticate,
// revoke, expire; the secret is nowhere in the database; the cache serves hits, is invalidated by a
// revoke in this process, and bounds how late another replica sees one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Store } from '../../../src/store/index.ts';
import { can } from '../../../src/security/index.ts';
import { ApiKeyService, parseKey, type ApiKeyServiceOptions } from '../../../src/security/identity/index.ts';
import type { StoreTarget } from '../../store/targets.ts';

/** A clock the tests move by hand: expiry and cache TTLs without waiting. */
export function manualClock(start = Date.parse('2030-01-01T00:00:00Z')): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** Every value of every column of every table, as text. */
async function everyValue(store: Store): Promise<string[]> {
  const tables =
    store.dialect === 'sqlite'
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(store.db)).rows
      : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(store.db)).rows;
  assert.ok(tables.some((t) => t.name === 'api_keys'), 'the api_keys table is among those scanned');
  const values: string[] = [];
  for (const { name } of tables) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(store.db)).rows;
    for (const row of rows) for (const v of Object.values(row)) if (v !== null) values.push(Buffer.isBuffer(v) ? v.toString('latin1') : String(v));
  }
  return values;
}

export function apiKeyContract(makeTarget: () => StoreTarget): void {
  describe('ApiKeyService contract', () => {
    const target = makeTarget();
    let opened: Store | undefined;
    let openError: unknown;
    const store = (): Store => {
      if (!opened) throw openError ?? new Error(`the ${target.label} store is not open`);
      return opened;
    };
    const service = (options: ApiKeyServiceOptions = {}) => new ApiKeyService(store(), options);
    const L = target.label;

    before(async () => {
      opened = await target.open().catch((err: unknown) => {
        openError = err;
        return undefined;
      });
    });
    after(async () => {
      await opened?.close();
      await target.cleanup();
    });

    test(`${L}: a created key authenticates as its principal, with its roles and scope`, async () => {
      const keys = service();
      const { key, record } = await keys.create({ name: 'ci', roles: ['predictor'], models: ['spam-filter', 'fraud'], actor: 'bootstrap-admin' });
      assert.match(key, /^mg_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
      assert.equal(parseKey(key)?.id, record.id);
      assert.deepEqual(
        { name: record.name, roles: record.roles, models: record.models, createdBy: record.createdBy, status: record.status },
        { name: 'ci', roles: ['predictor'], models: ['fraud', 'spam-filter'], createdBy: 'bootstrap-admin', status: 'active' },
      );
      const p = await keys.authenticate(key);
      assert.deepEqual(p, { id: `key:${record.id}`, kind: 'api-key', roles: ['predictor'], models: ['fraud', 'spam-filter'] });
      assert.ok(can(p!, 'infer', 'spam-filter'));
      assert.ok(!can(p!, 'infer', 'other-model'));
      assert.ok(!can(p!, 'deploy'));
      // A second service (another replica) with an empty cache verifies it from the database.
      assert.deepEqual(await service().authenticate(key), p);
    });

    test(`${L}: the stored hash is not the secret, and the secret is nowhere in the database`, async () => {
      const keys = service();
      const { key, record } = await keys.create({ name: 'scan', roles: ['viewer'], actor: 'a' });
      await keys.authenticate(key);
      const secret = parseKey(key)!.secret;
      const row = await store().db.selectFrom('api_keys').selectAll().where('id', '=', record.id).executeTakeFirstOrThrow();
      assert.match(row.secret_hash, /^scrypt\$ln=14,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
      const forms = [key, secret, Buffer.from(secret, 'base64url').toString('hex'), Buffer.from(secret, 'base64url').toString('base64')];
      const values = await everyValue(store());
      assert.ok(values.includes(record.id), 'the scan sees the row');
      for (const v of values) for (const f of forms) assert.ok(!v.includes(f), `a column holds the secret (${f.slice(0, 6)}...)`);
    });

    test(`${L}: the right id with a wrong secret, an unknown id and malformed keys are refused`, async () => {
      const keys = service();
      const { key, record } = await keys.create({ name: 'w', roles: ['admin'], actor: 'a' });
      const secret = parseKey(key)!.secret;
      const flipped = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
      assert.equal(await keys.authenticate(`mg_${record.id}_${flipped}`), undefined);
      assert.equal(await keys.authenticate(`mg_aaaaaaaaaaaa_${secret}`), undefined);
      for (const bad of ['', 'mg_', key.slice(0, -1), `${key}x`, key.toUpperCase(), `Bearer ${key}`]) {
        assert.equal(await keys.authenticate(bad), undefined, bad.slice(0, 20));
      }
      assert.equal(await keys.authenticate(undefined), undefined);
      // Failures are not cached, and did not poison the cache for the right key.
      assert.equal(keys.cachedKeys, 0);
      assert.equal((await keys.authenticate(key))?.id, `key:${record.id}`);
      assert.equal(await keys.authenticate(`mg_${record.id}_${flipped}`), undefined, 'a cached id with a wrong secret still fails');
    });

    test(`${L}: a revoke takes effect at once in this process, and within the cache TTL elsewhere`, async () => {
      const clock = manualClock();
      const here = service({ now: clock.now, settings: { cacheTtlMs: 60_000 } });
      const replica = service({ now: clock.now, settings: { cacheTtlMs: 60_000 } });
      const { key, record } = await here.create({ name: 'r', roles: ['predictor'], models: ['*'], actor: 'a' });
      assert.ok(await here.authenticate(key));
      assert.ok(await replica.authenticate(key));
      assert.equal(here.cachedKeys, 1);

      const revoked = await here.revoke(record.id, 'key:admin1');
      assert.equal(revoked.status, 'revoked');
      assert.equal(revoked.revokedBy, 'key:admin1');
      assert.equal(here.cachedKeys, 0);
      assert.equal(await here.authenticate(key), undefined, 'refused at once where it was revoked');
      assert.ok(await replica.authenticate(key), 'another replica still trusts its cached verification');
      clock.advance(60_001);
      assert.equal(await replica.authenticate(key), undefined, 'and refuses once the TTL has passed');

      const again = await here.revoke(record.id, 'someone-else');
      assert.equal(again.revokedBy, 'key:admin1', 'revoking twice keeps the first revocation');
      await assert.rejects(here.revoke('aaaaaaaaaaaa', 'a'), { code: 'MG_NOT_FOUND' });
    });

    test(`${L}: a key stops working when it expires, cached or not`, async () => {
      const clock = manualClock();
      const keys = service({ now: clock.now, settings: { cacheTtlMs: 3_600_000 } });
      const expiresAt = new Date(clock.now() + 60_000).toISOString();
      const { key, record } = await keys.create({ name: 'e', roles: ['viewer'], expiresAt, actor: 'a' });
      assert.equal(record.expiresAt, expiresAt);
      assert.ok(await keys.authenticate(key));
      clock.advance(60_000);
      assert.equal(await keys.authenticate(key), undefined, 'the cache entry ends with the key');
      assert.equal(await service({ now: clock.now }).authenticate(key), undefined, 'and the row check refuses it');
      assert.equal((await keys.get(record.id)).status, 'expired');
      await assert.rejects(keys.create({ name: 'e', roles: ['viewer'], expiresAt: new Date(clock.now() - 1), actor: 'a' }), { code: 'MG_INVALID_REQUEST' });
      await assert.rejects(keys.create({ name: 'e', roles: ['viewer'], expiresAt: 'next tuesday', actor: 'a' }), { code: 'MG_INVALID_REQUEST' });
    });

    test(`${L}: scopes: a predictor must name its models or say '*'`, async () => {
      const keys = service();
      await assert.rejects(keys.create({ name: 'p', roles: ['predictor'], actor: 'a' }), { code: 'MG_INVALID_REQUEST', message: /models \['\*'\]/ });
      await assert.rejects(keys.create({ name: 'p', roles: ['predictor'], models: [], actor: 'a' }), { code: 'MG_INVALID_REQUEST' });
      await assert.rejects(keys.create({ name: 'p', roles: ['predictor'], models: ['*', 'x'], actor: 'a' }), { code: 'MG_INVALID_REQUEST' });
      await assert.rejects(keys.create({ name: 'p', roles: ['admin'], models: ['x'], actor: 'a' }), { code: 'MG_INVALID_REQUEST' });
      await assert.rejects(keys.create({ name: 'p', roles: ['root' as 'admin'], actor: 'a' }), { code: 'MG_INVALID_REQUEST' });
      await assert.rejects(keys.create({ name: ' ', roles: ['viewer'], actor: 'a' }), { code: 'MG_INVALID_REQUEST' });
      const all = await keys.create({ name: 'p', roles: ['predictor'], models: ['*'], actor: 'a' });
      assert.deepEqual(all.record.models, ['*']);
      const p = await keys.authenticate(all.key);
      assert.equal(p?.models, undefined, "'*' means every model");
      assert.ok(can(p!, 'infer', 'anything'));
      const deployer = await keys.create({ name: 'd', roles: ['deployer', 'deployer'], actor: 'a' });
      assert.deepEqual(deployer.record.roles, ['deployer']);
      assert.equal(deployer.record.models, null);
    });

    test(`${L}: list and get show records, never a secret or a hash`, async () => {
      const keys = service();
      const { key, record } = await keys.create({ name: 'listed', roles: ['auditor'], actor: 'a' });
      const listed = await keys.list();
      assert.ok(listed.some((r) => r.id === record.id));
      assert.deepEqual(await keys.get(record.id), record);
      const text = JSON.stringify(listed);
      assert.ok(!text.includes('scrypt$') && !text.includes(parseKey(key)!.secret) && !text.includes('secret'));
      await assert.rejects(keys.get('aaaaaaaaaaaa'), { code: 'MG_NOT_FOUND' });
      await assert.rejects(keys.get("x' or 1=1 --"), { code: 'MG_NOT_FOUND' });
    });

    test(`${L}: last used is written on a cache miss, at most once per resolution`, async () => {
      const clock = manualClock();
      const keys = service({ now: clock.now, settings: { cacheTtlMs: 1000, lastUsedResolutionMs: 60_000 } });
      const { key, record } = await keys.create({ name: 'u', roles: ['viewer'], actor: 'a' });
      assert.equal(record.lastUsedAt, null);
      await keys.authenticate(key);
      const first = (await keys.get(record.id)).lastUsedAt;
      assert.equal(first, new Date(clock.now()).toISOString());
      clock.advance(30_000);
      await keys.authenticate(key);
      assert.equal((await keys.get(record.id)).lastUsedAt, first, 'not rewritten within the resolution');
      clock.advance(31_000);
      await keys.authenticate(key);
      assert.equal((await keys.get(record.id)).lastUsedAt, new Date(clock.now()).toISOString());
    });
  });
}
