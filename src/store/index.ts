// Public surface of the store: openStore (SQLite or PostgreSQL, migrated), the table row types,
// the migration list, SQL helpers, and the content-addressed blob store.
export { openStore } from './open.ts';
export type { Store, StoreDialect, StoreOptions, StoreTransaction } from './types.ts';
export type * from './schema.ts';
export { MIGRATIONS, autoIncrementType, type Migration } from './migrations/index.ts';
export { isUniqueViolation, liftTimeouts, lockRows } from './sql.ts';
export { isStoreBusy, storeBusy } from './busy.ts';
export { redact as redactDatabaseUrl, SCHEMA_PATTERN } from './postgres.ts';
export { assertDigest, SHA256_PATTERN, sha256Hex, type BlobStore } from './blobs/blob-store.ts';
export { FileBlobStore } from './blobs/file-blob-store.ts';
export { DatabaseBlobStore, type DatabaseBlobStoreOptions } from './blobs/database-blob-store.ts';
