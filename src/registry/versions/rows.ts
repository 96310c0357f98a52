// Row access shared by the registry operations: locking a model, reading versions and aliases,
// mapping rows to records, writing history. Every function takes the transaction it runs in.
import type { Kysely, Selectable } from 'kysely';
import { errors, ModelGateError } from '../../errors.ts';
import { lockRows, type BlobStore, type Database, type ModelVersionsTable, type Store } from '../../store/index.ts';
import type { HistoryAction, HistoryState, Model, ModelVersion, Stage } from './types.ts';

export type Db = Kysely<Database>;
export type VersionRow = Selectable<ModelVersionsTable>;

export interface RegistryContext {
  store: Store;
  blobs: BlobStore;
  now: () => Date;
}

/** Takes the model's row lock (PostgreSQL) so changes to one model run one at a time across
 * replicas; SQLite transactions are already serialised. Throws MG_MODEL_NOT_FOUND. */
export async function lockModel(ctx: RegistryContext, trx: Db, name: string): Promise<void> {
  const row = await lockRows(ctx.store.dialect, trx.selectFrom('models').select('name').where('name', '=', name)).executeTakeFirst();
  if (!row) throw errors.modelNotFound(name);
}

export async function modelExists(db: Db, name: string): Promise<boolean> {
  return (await db.selectFrom('models').select('name').where('name', '=', name).executeTakeFirst()) !== undefined;
}

export async function versionRow(db: Db, name: string, version: string): Promise<VersionRow> {
  const row = await db.selectFrom('model_versions').selectAll().where('model_name', '=', name).where('version', '=', version).executeTakeFirst();
  if (row) return row;
  if (!(await modelExists(db, name))) throw errors.modelNotFound(name);
  throw errors.versionNotFound(name, version);
}

export async function aliasRow(db: Db, name: string, alias: string): Promise<{ version: string } | undefined> {
  return db.selectFrom('model_aliases').select('version').where('model_name', '=', name).where('alias', '=', alias).executeTakeFirst();
}

export async function aliasesOfVersion(db: Db, name: string, version: string): Promise<string[]> {
  const rows = await db.selectFrom('model_aliases').select('alias').where('model_name', '=', name).where('version', '=', version).orderBy('alias').execute();
  return rows.map((r) => r.alias);
}

export function toVersion(row: VersionRow, aliases: string[]): ModelVersion {
  return {
    name: row.model_name,
    version: row.version,
    packageSha256: row.package_sha256,
    packageSize: Number(row.package_size),
    signerKeyId: row.signer_key_id,
    manifest: JSON.parse(row.manifest_json) as ModelVersion['manifest'],
    validation: JSON.parse(row.validation_json) as ModelVersion['validation'],
    stage: row.stage as Stage,
    aliases,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

/** Reads whole models (aliases and version names) in three queries, whatever their number. */
export async function readModels(db: Db, names?: string[]): Promise<Model[]> {
  if (names && names.length === 0) return [];
  const only = names ?? [];
  const models = await db.selectFrom('models').selectAll().orderBy('name').$if(names !== undefined, (q) => q.where('name', 'in', only)).execute();
  const versions = await db
    .selectFrom('model_versions')
    .select(['model_name', 'version', 'stage'])
    .$if(names !== undefined, (q) => q.where('model_name', 'in', only))
    .execute();
  const aliases = await db
    .selectFrom('model_aliases')
    .select(['model_name', 'alias', 'version'])
    .$if(names !== undefined, (q) => q.where('model_name', 'in', only))
    .execute();
  return models.map((m) => {
    const own = versions.filter((v) => v.model_name === m.name);
    const aliasEntries = aliases.filter((a) => a.model_name === m.name).sort((a, b) => (a.alias < b.alias ? -1 : 1));
    return {
      name: m.name,
      aliases: Object.fromEntries(aliasEntries.map((a) => [a.alias, a.version])),
      versions: own.map((v) => v.version).sort(compareVersions),
      productionVersion: own.find((v) => v.stage === 'production')?.version ?? null,
      createdAt: m.created_at,
      createdBy: m.created_by,
      updatedAt: m.updated_at,
      updatedBy: m.updated_by,
    };
  });
}

export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

export interface Change {
  model: string;
  version: string | null;
  action: HistoryAction;
  actor: string;
  at: string;
  before?: HistoryState | null;
  after?: HistoryState | null;
  reason?: string | null;
}

/** Records a change and stamps the model as updated, in the caller's transaction. */
export async function recordChange(trx: Db, change: Change): Promise<void> {
  await trx
    .insertInto('model_history')
    .values({
      model_name: change.model,
      version: change.version,
      action: change.action,
      actor: change.actor,
      at: change.at,
      before_json: change.before ? JSON.stringify(change.before) : null,
      after_json: change.after ? JSON.stringify(change.after) : null,
      reason: change.reason ?? null,
    })
    .execute();
  await trx.updateTable('models').set({ updated_at: change.at, updated_by: change.actor }).where('name', '=', change.model).execute();
}

export async function setStage(trx: Db, name: string, version: string, stage: Stage, actor: string, at: string, promotedSeq?: number | null): Promise<void> {
  await trx
    .updateTable('model_versions')
    .set({ stage, updated_at: at, updated_by: actor, ...(promotedSeq !== undefined ? { promoted_seq: promotedSeq } : {}) })
    .where('model_name', '=', name)
    .where('version', '=', version)
    .execute();
}

export function checkActor(actor: string, reason?: string): void {
  if (typeof actor !== 'string' || actor.length === 0 || actor.length > 256) {
    throw new ModelGateError('MG_INVALID_REQUEST', 'the actor of a registry change must be a principal id of 1 to 256 characters');
  }
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > 1024)) {
    throw new ModelGateError('MG_INVALID_REQUEST', 'a reason is text of at most 1024 characters');
  }
}

export function conflict(message: string): ModelGateError {
  return new ModelGateError('MG_CONFLICT', message);
}
