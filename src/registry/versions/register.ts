// Registering a package: verify it (an unverified package is never stored), store its bytes by
// digest, record the version. Same name+version with the same bytes is a no-op; with other bytes
// it is a conflict, since a version must mean one thing forever.
import { ModelGateError } from '../../errors.ts';
import { openPackage, verifyPackage } from '../package/index.ts';
import { ensureBlob } from './blobs.ts';
import { aliasesOfVersion, checkActor, conflict, lockModel, recordChange, toVersion, type Db, type RegistryContext } from './rows.ts';
import type { RegisterInput, RegisterResult } from './types.ts';

export async function register(ctx: RegistryContext, input: RegisterInput): Promise<RegisterResult> {
  checkActor(input.actor, input.reason);
  const options = { trustedKeys: input.trustedKeys, ...(input.decryptionKeys ? { decryptionKeys: input.decryptionKeys } : {}) };
  // openPackage is the gate (it throws at the first problem); the report is what we keep.
  const opened = await openPackage(input.bytes, options);
  const report = await verifyPackage(input.bytes, options);
  const { name, version } = opened.manifest;
  const sha = opened.packageSha256;

  // Answer the common repeat and conflict cases before writing a blob nobody would use.
  const known = await existing(ctx.store.db, name, version);
  if (known) return settle(ctx, known.package_sha256, sha, name, version);

  const stored = await ctx.blobs.put(input.bytes);
  if (stored !== sha) throw new ModelGateError('MG_INTERNAL', `the blob store filed package ${sha} under ${stored}`);
  const at = ctx.now().toISOString();
  const result = await ctx.store.transaction(async (trx): Promise<RegisterResult | string> => {
    await trx
      .insertInto('models')
      .values({ name, created_at: at, created_by: input.actor, updated_at: at, updated_by: input.actor })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    await lockModel(ctx, trx, name);
    // Someone may have registered it between our first look and the lock.
    const raced = await existing(trx, name, version);
    if (raced) return raced.package_sha256;
    await trx
      .insertInto('model_versions')
      .values({
        model_name: name,
        version,
        package_sha256: sha,
        package_size: input.bytes.length,
        signer_key_id: opened.signerKeyId,
        manifest_json: JSON.stringify(opened.manifest),
        validation_json: JSON.stringify(report.checks),
        stage: 'registered',
        promoted_seq: null,
        created_at: at,
        created_by: input.actor,
        updated_at: at,
        updated_by: input.actor,
      })
      .execute();
    await recordChange(trx, {
      model: name, version, action: 'register', actor: input.actor, at, reason: input.reason ?? null,
      before: null, after: { stage: 'registered', packageSha256: sha, signerKeyId: opened.signerKeyId },
    });
    const row = await trx.selectFrom('model_versions').selectAll().where('model_name', '=', name).where('version', '=', version).executeTakeFirstOrThrow();
    return { version: toVersion(row, []), created: true };
  });
  if (typeof result === 'string') return settle(ctx, result, sha, name, version);
  // A concurrent delete of the last other version using these bytes may have removed the blob
  // after our put: put it back now that our row makes it referenced.
  await ensureBlob(ctx, sha, input.bytes);
  return result;
}

async function existing(db: Db, name: string, version: string) {
  return db.selectFrom('model_versions').select('package_sha256').where('model_name', '=', name).where('version', '=', version).executeTakeFirst();
}

async function settle(ctx: RegistryContext, storedSha: string, givenSha: string, name: string, version: string): Promise<RegisterResult> {
  if (storedSha !== givenSha) {
    throw conflict(`model '${name}' version '${version}' is already registered with another package (sha256 ${storedSha}); give the new package a new version`);
  }
  const db = ctx.store.db;
  const row = await db.selectFrom('model_versions').selectAll().where('model_name', '=', name).where('version', '=', version).executeTakeFirstOrThrow();
  return { version: toVersion(row, await aliasesOfVersion(db, name, version)), created: false };
}
