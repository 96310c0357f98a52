// The versioned model registry: one long-lived object over a Store and a BlobStore. Reads throw
// MG_MODEL_NOT_FOUND / MG_VERSION_NOT_FOUND so callers need not re-check; changes run in
// transactions that lock the model, so they hold across replicas sharing PostgreSQL.
import { errors } from '../../errors.ts';
import type { BlobStore, Store } from '../../store/index.ts';
import { promote, readVersion, removeAlias, rollback, rollbackTarget, setAlias } from './aliases.ts';
import { archive, deleteVersion } from './lifecycle.ts';
import { register } from './register.ts';
import { aliasRow, compareVersions, modelExists, readModels, toVersion, type RegistryContext } from './rows.ts';
import type { DeleteOptions, HistoryAction, HistoryEntry, Model, ModelVersion, RegisterInput, RegisterResult } from './types.ts';

export interface VersionRegistryOptions {
  store: Store;
  blobs: BlobStore;
  /** The clock for timestamps; tests pass a fixed one. */
  now?: () => Date;
}

export class VersionRegistry {
  private readonly ctx: RegistryContext;

  constructor(options: VersionRegistryOptions) {
    this.ctx = { store: options.store, blobs: options.blobs, now: options.now ?? (() => new Date()) };
  }

  /** Verifies the package (throws MG_PACKAGE_INVALID / MG_SIGNATURE_INVALID / MG_DECRYPTION_FAILED),
   * stores it, records the version in stage `registered`. */
  register(input: RegisterInput): Promise<RegisterResult> {
    return register(this.ctx, input);
  }

  listModels(): Promise<Model[]> {
    return readModels(this.ctx.store.db);
  }

  async getModel(name: string): Promise<Model> {
    const [model] = await readModels(this.ctx.store.db, [name]);
    if (!model) throw errors.modelNotFound(name);
    return model;
  }

  async listVersions(name: string): Promise<ModelVersion[]> {
    await this.getModel(name);
    const db = this.ctx.store.db;
    const rows = await db.selectFrom('model_versions').selectAll().where('model_name', '=', name).execute();
    const aliases = await db.selectFrom('model_aliases').select(['alias', 'version']).where('model_name', '=', name).orderBy('alias').execute();
    return rows
      .map((row) => toVersion(row, aliases.filter((a) => a.version === row.version).map((a) => a.alias)))
      .sort((a, b) => compareVersions(a.version, b.version));
  }

  getVersion(name: string, version: string): Promise<ModelVersion> {
    return readVersion(this.ctx.store.db, name, version);
  }

  /** An alias wins over a version of the same name (a version named like an alias stays
   * reachable through getVersion). */
  async resolve(name: string, aliasOrVersion: string): Promise<ModelVersion> {
    const db = this.ctx.store.db;
    const alias = await aliasRow(db, name, aliasOrVersion);
    return readVersion(db, name, alias ? alias.version : aliasOrVersion);
  }

  setAlias(name: string, alias: string, version: string, actor: string, reason?: string): Promise<ModelVersion> {
    return setAlias(this.ctx, name, alias, version, actor, reason);
  }

  removeAlias(name: string, alias: string, actor: string, reason?: string): Promise<void> {
    return removeAlias(this.ctx, name, alias, actor, reason);
  }

  /** Same as setAlias(name, 'production', version, ...). */
  promote(name: string, version: string, actor: string, reason?: string): Promise<ModelVersion> {
    return promote(this.ctx, name, version, actor, reason);
  }

  /** Moves production back to the previous production version; MG_CONFLICT when there is none. */
  rollback(name: string, actor: string, reason?: string, expected?: string): Promise<ModelVersion> {
    return rollback(this.ctx, name, actor, reason, expected);
  }

  /** The version rollback() would make production now, if any. */
  rollbackTarget(name: string): Promise<string | undefined> {
    return rollbackTarget(this.ctx.store.db, name);
  }

  archive(name: string, version: string, actor: string, reason?: string): Promise<ModelVersion> {
    return archive(this.ctx, name, version, actor, reason);
  }

  delete(name: string, version: string, actor: string, options: DeleteOptions): Promise<{ blobRemoved: boolean }> {
    return deleteVersion(this.ctx, name, version, actor, options);
  }

  /** Every change to the model, oldest first. */
  async history(name: string): Promise<HistoryEntry[]> {
    const db = this.ctx.store.db;
    if (!(await modelExists(db, name))) throw errors.modelNotFound(name);
    const rows = await db.selectFrom('model_history').selectAll().where('model_name', '=', name).orderBy('id').execute();
    return rows.map((r) => ({
      id: Number(r.id),
      model: r.model_name,
      version: r.version,
      action: r.action as HistoryAction,
      actor: r.actor,
      at: r.at,
      before: r.before_json === null ? null : (JSON.parse(r.before_json) as HistoryEntry['before']),
      after: r.after_json === null ? null : (JSON.parse(r.after_json) as HistoryEntry['after']),
      reason: r.reason,
    }));
  }

  /** The package file as registered (still encrypted if it was), checked against its digest. */
  async packageBytes(name: string, version: string): Promise<Buffer> {
    const { packageSha256 } = await readVersion(this.ctx.store.db, name, version);
    return this.ctx.blobs.get(packageSha256);
  }
}
