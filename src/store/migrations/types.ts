// What a migration is. Each one is a numbered step; the runner applies the missing ones in order.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { StoreDialect } from '../types.ts';

export interface Migration {
  /** Strictly increasing, never reused; the runner refuses a list out of order. */
  id: number;
  /** A few words, recorded beside the id for people reading schema_migrations. */
  name: string;
  /** Runs inside the migration transaction. Use the schema builder; branch on dialect only where
   * the engines really differ (auto-increment keys). Never edit a released migration: add one. */
  up(db: Kysely<Database>, dialect: StoreDialect): Promise<void>;
}

/** An auto-increment integer primary key, which the two engines spell differently. */
export function autoIncrementType(dialect: StoreDialect): 'integer' | 'serial' {
  return dialect === 'postgres' ? 'serial' : 'integer';
}
