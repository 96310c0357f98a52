// Migration 5: API keys. Only a salted scrypt hash of each secret is stored; the key id is public
// and is how a presented key is found. Revocation and expiry are columns, never deletions, so the
// audit trail can still name a revoked key.
import { sql } from 'kysely';
import type { Migration } from './types.ts';

export const apiKeys: Migration = {
  id: 5,
  name: 'api keys',
  async up(db) {
    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      // scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>: the parameters travel with each hash, so they
      // can be raised later without invalidating existing keys.
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('roles_json', 'text', (c) => c.notNull())
      // JSON array of model names, ["*"] for every model, null when the roles need no scope.
      .addColumn('models_json', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('revoked_at', 'text')
      .addColumn('revoked_by', 'text')
      .addColumn('last_used_at', 'text')
      .addCheckConstraint('api_keys_secret_hash', sql`secret_hash like 'scrypt$%'`)
      .execute();
  },
};
