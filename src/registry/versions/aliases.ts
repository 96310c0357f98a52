// Aliases and the production lifecycle. The `production` alias and the production stage always
// agree: setting the alias promotes, the version it replaces goes back to staging, and the
// promoted_seq column keeps the order of production versions so rollback can walk back.
import { ModelGateError } from '../../errors.ts';
import {
  aliasRow, aliasesOfVersion, checkActor, conflict, lockModel, recordChange, setStage, toVersion, versionRow,
  type Db, type RegistryContext,
} from './rows.ts';
import { ALIAS_PATTERN, PRODUCTION_ALIAS, STAGING_ALIAS, type ModelVersion } from './types.ts';

export function checkAlias(alias: string): void {
  if (typeof alias !== 'string' || !ALIAS_PATTERN.test(alias)) {
    throw new ModelGateError('MG_INVALID_REQUEST', `alias ${JSON.stringify(String(alias).slice(0, 40))} must be a lower-case letter followed by at most 31 lower-case letters, digits or '-'`);
  }
}

export async function setAlias(ctx: RegistryContext, name: string, alias: string, version: string, actor: string, reason?: string): Promise<ModelVersion> {
  checkAlias(alias);
  if (alias === PRODUCTION_ALIAS) return promote(ctx, name, version, actor, reason);
  checkActor(actor, reason);
  return ctx.store.transaction(async (trx) => {
    await lockModel(ctx, trx, name);
    const row = await versionRow(trx, name, version);
    if (row.stage === 'archived') throw conflict(`model '${name}' version '${version}' is archived; an alias cannot point at it`);
    const before = (await aliasRow(trx, name, alias))?.version ?? null;
    if (before === version) return readVersion(trx, name, version);
    const at = ctx.now().toISOString();
    await pointAlias(trx, name, alias, version, actor, at);
    const stageBefore = row.stage;
    if (alias === STAGING_ALIAS && row.stage === 'registered') await setStage(trx, name, version, 'staging', actor, at);
    const updated = await readVersion(trx, name, version);
    await recordChange(trx, {
      model: name, version, action: 'set-alias', actor, at, reason: reason ?? null,
      before: { alias, version: before, stage: stageBefore }, after: { alias, version, stage: updated.stage },
    });
    return updated;
  });
}

export async function promote(ctx: RegistryContext, name: string, version: string, actor: string, reason?: string): Promise<ModelVersion> {
  checkActor(actor, reason);
  return ctx.store.transaction(async (trx) => {
    await lockModel(ctx, trx, name);
    const row = await versionRow(trx, name, version);
    if (row.stage === 'archived') throw conflict(`model '${name}' version '${version}' is archived and cannot be promoted`);
    if (row.stage === 'production') return readVersion(trx, name, version);
    const at = ctx.now().toISOString();
    const previous = (await aliasRow(trx, name, PRODUCTION_ALIAS))?.version ?? null;
    // Demote first: the database allows one production version per model at any instant.
    if (previous) await setStage(trx, name, previous, 'staging', actor, at);
    const top = await trx.selectFrom('model_versions').select((eb) => eb.fn.max('promoted_seq').as('top')).where('model_name', '=', name).executeTakeFirst();
    await setStage(trx, name, version, 'production', actor, at, Number(top?.top ?? 0) + 1);
    await pointAlias(trx, name, PRODUCTION_ALIAS, version, actor, at);
    await recordChange(trx, {
      model: name, version, action: 'promote', actor, at, reason: reason ?? null,
      before: { production: previous, stage: row.stage }, after: { production: version, stage: 'production' },
    });
    return readVersion(trx, name, version);
  });
}

/** `expected`: the target the caller loaded beforehand (rollbackTarget); another one is a conflict. */
export async function rollback(ctx: RegistryContext, name: string, actor: string, reason?: string, expected?: string): Promise<ModelVersion> {
  checkActor(actor, reason);
  return ctx.store.transaction(async (trx) => {
    await lockModel(ctx, trx, name);
    const current = (await aliasRow(trx, name, PRODUCTION_ALIAS))?.version;
    if (!current) throw conflict(`model '${name}' has no production version to roll back`);
    const target = await previousProduction(trx, name, current);
    if (!target) {
      throw conflict(`model '${name}' has no previous production version to roll back to: '${current}' is the first one still available`);
    }
    if (expected !== undefined && target.version !== expected) {
      throw conflict(`the production history of model '${name}' changed while the rollback was prepared; retry it`);
    }
    const at = ctx.now().toISOString();
    // The rolled-back version leaves the production history: rolling back again goes further back.
    await setStage(trx, name, current, 'staging', actor, at, null);
    await setStage(trx, name, target.version, 'production', actor, at);
    await pointAlias(trx, name, PRODUCTION_ALIAS, target.version, actor, at);
    await recordChange(trx, {
      model: name, version: target.version, action: 'rollback', actor, at, reason: reason ?? null,
      before: { production: current }, after: { production: target.version },
    });
    return readVersion(trx, name, target.version);
  });
}

/** The version a rollback of `name` would make production now, if there is one (read without a lock:
 * the version to load before the rollback is committed; the rollback itself re-reads it). */
export async function rollbackTarget(db: Db, name: string): Promise<string | undefined> {
  const current = (await aliasRow(db, name, PRODUCTION_ALIAS))?.version;
  return current === undefined ? undefined : (await previousProduction(db, name, current))?.version;
}

function previousProduction(db: Db, name: string, current: string): Promise<{ version: string } | undefined> {
  return db
    .selectFrom('model_versions')
    .select('version')
    .where('model_name', '=', name)
    .where('promoted_seq', 'is not', null)
    .where('version', '!=', current)
    .orderBy('promoted_seq', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function removeAlias(ctx: RegistryContext, name: string, alias: string, actor: string, reason?: string): Promise<void> {
  checkAlias(alias);
  checkActor(actor, reason);
  await ctx.store.transaction(async (trx) => {
    await lockModel(ctx, trx, name);
    const version = (await aliasRow(trx, name, alias))?.version;
    if (!version) throw new ModelGateError('MG_NOT_FOUND', `model '${name}' has no alias '${alias}'`);
    await trx.deleteFrom('model_aliases').where('model_name', '=', name).where('alias', '=', alias).execute();
    const at = ctx.now().toISOString();
    // Taking a model out of production: the version goes back to staging and out of the history,
    // so a later rollback cannot silently bring it back.
    if (alias === PRODUCTION_ALIAS) await setStage(trx, name, version, 'staging', actor, at, null);
    await recordChange(trx, {
      model: name, version, action: 'remove-alias', actor, at, reason: reason ?? null,
      before: { alias, version }, after: { alias, version: null },
    });
  });
}

async function pointAlias(trx: Db, name: string, alias: string, version: string, actor: string, at: string): Promise<void> {
  await trx
    .insertInto('model_aliases')
    .values({ model_name: name, alias, version, updated_at: at, updated_by: actor })
    .onConflict((oc) => oc.columns(['model_name', 'alias']).doUpdateSet({ version, updated_at: at, updated_by: actor }))
    .execute();
}

export async function readVersion(db: Db, name: string, version: string): Promise<ModelVersion> {
  return toVersion(await versionRow(db, name, version), await aliasesOfVersion(db, name, version));
}
