// Retiring versions: archive keeps the record and the package but takes the version out of
// aliases and rollback; delete removes the record and, when no other version shares the package,
// its blob. Both refuse while the version is still pointed at; delete also while it is assigned to
// be served (served_versions, migration 3).
import { collectBlob } from './blobs.ts';
import { readVersion } from './aliases.ts';
import { aliasesOfVersion, checkActor, conflict, lockModel, recordChange, setStage, versionRow, type Db, type RegistryContext } from './rows.ts';
import { PRODUCTION_ALIAS, type DeleteOptions, type ModelVersion } from './types.ts';

export async function archive(ctx: RegistryContext, name: string, version: string, actor: string, reason?: string): Promise<ModelVersion> {
  checkActor(actor, reason);
  return ctx.store.transaction(async (trx) => {
    await lockModel(ctx, trx, name);
    const row = await versionRow(trx, name, version);
    if (row.stage === 'archived') return readVersion(trx, name, version);
    if (row.stage === 'production') {
      throw conflict(`model '${name}' version '${version}' is in production; promote another version or roll back before archiving it`);
    }
    const aliases = await aliasesOfVersion(trx, name, version);
    if (aliases.length > 0) {
      throw conflict(`model '${name}' version '${version}' is the target of alias ${aliases.map((a) => `'${a}'`).join(', ')}; move or remove it first`);
    }
    const at = ctx.now().toISOString();
    await setStage(trx, name, version, 'archived', actor, at, null);
    await recordChange(trx, {
      model: name, version, action: 'archive', actor, at, reason: reason ?? null,
      before: { stage: row.stage }, after: { stage: 'archived' },
    });
    return readVersion(trx, name, version);
  });
}

export async function deleteVersion(ctx: RegistryContext, name: string, version: string, actor: string, options: DeleteOptions): Promise<{ blobRemoved: boolean }> {
  checkActor(actor, options.reason);
  // Fail fast on an unknown version before asking routing about it.
  const current = await versionRow(ctx.store.db, name, version);
  if (await options.isServing(name, version)) {
    const why = options.isKept?.(name, version)
      ? `the production version of '${name}' cannot be loaded here, and this version keeps serving in its place (fix or roll back the production version first)`
      : await whyServing(ctx.store.db, current.stage, name, version);
    throw conflict(`model '${name}' version '${version}' is serving traffic: ${why}`);
  }
  const sha = await ctx.store.transaction(async (trx) => {
    await lockModel(ctx, trx, name);
    const row = await versionRow(trx, name, version);
    const aliases = await aliasesOfVersion(trx, name, version);
    if (aliases.length > 0) {
      throw conflict(`model '${name}' version '${version}' is the target of alias ${aliases.map((a) => `'${a}'`).join(', ')}; move or remove it first`);
    }
    // Loaded with `load` but not in memory here (its load failed, or another replica serves it):
    // the row would keep every replica trying to serve it, and its foreign key blocks the delete.
    if (await isAssigned(trx, name, version)) {
      throw conflict(`model '${name}' version '${version}' is assigned to be served (it was loaded with 'load'); unload it first: modelgate unload ${name} ${version}, or POST /admin/models/${name}/versions/${version}/unload`);
    }
    await trx.deleteFrom('model_versions').where('model_name', '=', name).where('version', '=', version).execute();
    const at = ctx.now().toISOString();
    await recordChange(trx, {
      model: name, version, action: 'delete', actor, at, reason: options.reason ?? null,
      before: { stage: row.stage, packageSha256: row.package_sha256 }, after: null,
    });
    return row.package_sha256;
  });
  return { blobRemoved: await collectBlob(ctx, sha) };
}

/**
 * Why a version loaded here is served, from what the registry records, each with its remedy; aliases
 * are named too, since the delete refuses them next. Neither production nor loaded with `load`
 * leaves an endpoint policy (canary, blue/green, shadow, experiment) or a switch still under way.
 */
async function whyServing(db: Db, stage: string, name: string, version: string): Promise<string> {
  const reasons: string[] = [];
  if (stage === 'production') reasons.push('it is the production version (promote another version or roll back first)');
  if (await isAssigned(db, name, version)) {
    reasons.push(`it was loaded with 'load' (unload it first: modelgate unload ${name} ${version}, or POST /admin/models/${name}/versions/${version}/unload)`);
  }
  if (reasons.length === 0) {
    reasons.push('an endpoint policy (canary, blue/green, shadow or experiment) uses it, or a switch to another version is still under way (take it out of its endpoints first, or retry once the switch is done)');
  }
  const aliases = (await aliasesOfVersion(db, name, version)).filter((a) => a !== PRODUCTION_ALIAS);
  if (aliases.length === 1) reasons.push(`alias '${aliases[0]}' also points at it (move or remove the alias first)`);
  if (aliases.length > 1) reasons.push(`aliases ${aliases.map((a) => `'${a}'`).join(', ')} also point at it (move or remove them first)`);
  return reasons.join('; ');
}

async function isAssigned(db: Db, name: string, version: string): Promise<boolean> {
  const row = await db.selectFrom('served_versions').select('version').where('model_name', '=', name).where('version', '=', version).executeTakeFirst();
  return row !== undefined;
}
