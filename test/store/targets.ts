// Where contract suites run: a SQLite file in a fresh temp folder, or a fresh schema in the real
// PostgreSQL (DATABASE_URL, else the local trust-auth server). Each target cleans up after itself.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, redactDatabaseUrl, type Store, type StoreOptions } from '../../src/store/index.ts';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface StoreTarget {
  label: string;
  options: StoreOptions;
  /** A scratch folder for blobs and child-process files. */
  dir: string;
  /** Opens the store; a PostgreSQL target that cannot connect fails with a message saying how to fix it. */
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'mg-store-'));
}

export function sqliteTarget(): StoreTarget {
  const dir = scratch();
  const options: StoreOptions = { kind: 'sqlite', path: join(dir, 'data', 'modelgate.db') };
  return {
    label: 'sqlite',
    options,
    dir,
    open: () => openStore(options),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function postgresTarget(): StoreTarget {
  const dir = scratch();
  const schema = `mg_test_${randomBytes(6).toString('hex')}`;
  const options: StoreOptions = { kind: 'postgres', url: DATABASE_URL, schema };
  return {
    label: 'postgres',
    options,
    dir,
    async open() {
      try {
        return await openStore(options);
      } catch (err) {
        if ((err as { code?: string }).code !== 'MG_CONFIG_INVALID') throw err;
        throw new Error(
          `PostgreSQL tests need a reachable server at ${redactDatabaseUrl(DATABASE_URL)} (set DATABASE_URL to point elsewhere): ${(err as Error).message}`,
          { cause: err },
        );
      }
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
      const client = new pg.Client({ connectionString: DATABASE_URL });
      try {
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`);
      } catch {
        // Unreachable server: the tests already failed saying so.
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}
