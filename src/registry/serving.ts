// Keeps the loaded versions in step with the registry: each model's production version plus the
// versions an operator loaded. The store is the single source of truth, so every replica converges
// on the same set by reconciling (after each change here, and on a timer for changes made elsewhere).
// A swap loads and warms the new version first, switches the default atomically, then drains and
// unloads the old one: no request is dropped.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ModelGateError } from '../errors.ts';
import { loadVersion, type LoadSettings } from '../runtime/index.ts';
import type { Store } from '../store/index.ts';
import type { ModelSet } from './model-set.ts';
import { reportRefusal, type RefusalAudit } from './refusals.ts';
import { openPackage, PACKAGE_EXTENSION, type TrustStore } from './package/index.ts';
import type { VersionRegistry } from './versions/index.ts';

export interface ServingDeps {
  registry: VersionRegistry;
  store: Store;
  models: ModelSet;
  trustedKeys: TrustStore;
  decryptionKeys: ReadonlyMap<string, Uint8Array>;
  settingsFor: (name: string, version: string) => LoadSettings;
  logger: Logger;
  /** A package refused at load or import (invalid, bad signature, undecryptable), by catalog code. */
  onRefused?: (code: string) => void;
  /** Where those refusals are audited, as 'rejected' records like a refused upload. */
  audit?: RefusalAudit;
  /** Versions other capabilities need loaded, e.g. the candidates of running rollouts. */
  extraVersions?: () => Promise<{ model: string; version: string }[]>;
}

/** How long a version prepared for a routing change stays loaded without being referenced. */
const PREPARED_GRACE_MS = 5 * 60_000;

export interface ReconcileReport {
  loaded: string[];
  unloaded: string[];
  failed: { name: string; version: string; reason: string }[];
  /** Versions left serving because the production version that should replace them cannot load. */
  kept: string[];
}

const REGISTRY_ORIGIN = 'package:';
const key = (name: string, version: string) => `${name}@${version}`;

export class ServingController {
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** Package digests that failed to load: not retried until the registry points elsewhere. */
  private readonly failedDigests = new Map<string, string>();
  /** Versions loaded ahead of a routing change that is about to reference them, with when. */
  private readonly prepared = new Map<string, { name: string; version: string; at: number }>();

  constructor(private readonly deps: ServingDeps) {}

  /** Runs reconciliations one at a time, in order. */
  reconcile(): Promise<ReconcileReport> {
    const run = this.chain.then(() => this.reconcileOnce());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async desired(): Promise<Map<string, { name: string; version: string; production: boolean }>> {
    const want = new Map<string, { name: string; version: string; production: boolean }>();
    for (const m of await this.deps.registry.listModels()) {
      if (m.productionVersion) want.set(key(m.name, m.productionVersion), { name: m.name, version: m.productionVersion, production: true });
    }
    const rows = await this.deps.store.db.selectFrom('served_versions').select(['model_name', 'version']).execute();
    const extra = (await this.deps.extraVersions?.()) ?? [];
    const now = Date.now();
    for (const [k, p] of this.prepared) if (now - p.at > PREPARED_GRACE_MS) this.prepared.delete(k);
    const others = [
      ...rows.map((r) => ({ name: r.model_name, version: r.version })),
      ...extra.map((e) => ({ name: e.model, version: e.version })),
      ...this.prepared.values(),
    ];
    for (const o of others) {
      const k = key(o.name, o.version);
      if (!want.has(k)) want.set(k, { name: o.name, version: o.version, production: false });
    }
    return want;
  }

  private async reconcileOnce(): Promise<ReconcileReport> {
    const { models, registry, logger } = this.deps;
    const report: ReconcileReport = { loaded: [], unloaded: [], failed: [], kept: [] };
    const want = await this.desired();
    for (const w of want.values()) {
      if (models.isLoaded(w.name, w.version)) continue;
      const v = await registry.getVersion(w.name, w.version);
      const failed = this.failedDigests.get(v.packageSha256);
      if (failed) {
        report.failed.push({ name: w.name, version: w.version, reason: failed });
        continue;
      }
      try {
        const opened = await openPackage(await registry.packageBytes(w.name, w.version), {
          trustedKeys: this.deps.trustedKeys,
          decryptionKeys: this.deps.decryptionKeys,
        });
        const served = await loadVersion(
          { name: w.name, version: w.version, manifest: opened.manifest, model: opened.modelBytes, origin: `${REGISTRY_ORIGIN}${opened.packageSha256}` },
          this.deps.settingsFor(w.name, w.version),
        );
        await models.add(served);
        report.loaded.push(key(w.name, w.version));
        logger.info({ model: w.name, version: w.version, signer: opened.signerKeyId }, 'model version loaded');
      } catch (err) {
        const where = { action: 'load', target: key(w.name, w.version), principal: null, model: w.name, version: w.version } as const;
        const reason = await reportRefusal(this.deps, err, where, 'cannot be loaded');
        this.failedDigests.set(v.packageSha256, reason);
        models.recordFailure({ name: w.name, version: w.version, reason });
        report.failed.push({ name: w.name, version: w.version, reason });
        logger.error({ model: w.name, version: w.version }, `model version not loaded: ${reason}`);
      }
    }
    // Switch defaults only once the new versions are warm. A production version that cannot load
    // here (a broken package, a decryption key this replica lacks) must not take the model offline:
    // the version answering now keeps answering, and the failure is reported.
    const stranded = new Set<string>();
    for (const w of want.values()) {
      if (!w.production) continue;
      if (models.isLoaded(w.name, w.version)) models.setDefault(w.name, w.version);
      else stranded.add(w.name);
    }
    for (const v of models.all()) {
      if (!v.origin.startsWith(REGISTRY_ORIGIN) || want.has(key(v.name, v.version))) continue;
      if (stranded.has(v.name) && models.defaultVersion(v.name) === v.version) {
        report.kept.push(key(v.name, v.version));
        logger.warn({ model: v.name, version: v.version }, 'the production version cannot be loaded; the version serving now stays');
        continue;
      }
      await models.remove(v.name, v.version);
      report.unloaded.push(key(v.name, v.version));
      logger.info({ model: v.name, version: v.version }, 'model version unloaded');
    }
    return report;
  }

  /** Loads versions a routing change is about to send traffic to; throws when one cannot load. */
  async prepare(name: string, versions: readonly string[]): Promise<ReconcileReport> {
    for (const version of versions) {
      await this.deps.registry.getVersion(name, version);
      this.prepared.set(key(name, version), { name, version, at: Date.now() });
    }
    const report = await this.reconcile();
    const failed = report.failed.find((f) => f.name === name && versions.includes(f.version));
    if (failed) throw new ModelGateError('MG_MODEL_NOT_READY', `version '${failed.version}' of '${name}' cannot be loaded: ${failed.reason}`);
    for (const version of versions) {
      if (!this.deps.models.isLoaded(name, version)) throw new ModelGateError('MG_MODEL_NOT_READY', `version '${version}' of '${name}' is not loaded`);
    }
    return report;
  }

  /** The package keys changed: versions that failed to load are tried again (one may have lacked its
   * signing or decryption key). */
  retryFailed(): Promise<ReconcileReport> {
    this.failedDigests.clear();
    return this.reconcile();
  }

  /** After a routing change is committed its versions are referenced: the preparation can go. */
  settle(name: string): Promise<ReconcileReport> {
    for (const [k, p] of this.prepared) if (p.name === name) this.prepared.delete(k);
    return this.reconcile();
  }

  /** Serves a version besides the production one, and keeps serving it across restarts. A version
   * that cannot load is refused (MG_CONFLICT with the reason) and not kept for later. */
  async load(name: string, version: string, actor: string): Promise<ReconcileReport> {
    await this.deps.registry.getVersion(name, version);
    const prepared = await this.prepare(name, [version]).catch(async (err: unknown) => {
      await this.settle(name);
      if (err instanceof ModelGateError && err.code === 'MG_MODEL_NOT_READY') throw new ModelGateError('MG_CONFLICT', err.message);
      throw err;
    });
    await this.deps.store.db
      .insertInto('served_versions')
      .values({ model_name: name, version, loaded_at: new Date().toISOString(), loaded_by: actor })
      .onConflict((oc) => oc.columns(['model_name', 'version']).doNothing())
      .execute();
    const settled = await this.settle(name);
    return { ...settled, loaded: [...prepared.loaded, ...settled.loaded] };
  }

  async unload(name: string, version: string): Promise<ReconcileReport> {
    const model = await this.deps.registry.getModel(name);
    await this.deps.registry.getVersion(name, version);
    if (model.productionVersion === version) {
      throw new ModelGateError('MG_CONFLICT', `version '${version}' is the production version of '${name}'; promote another version or roll back first`);
    }
    await this.deps.store.db.deleteFrom('served_versions').where('model_name', '=', name).where('version', '=', version).execute();
    return this.reconcile();
  }

  /** Registers every package in a folder (idempotent); a model without a production version gets this one. */
  async importFolder(dir: string, actor: string): Promise<string[]> {
    // A configured folder that is not there is a mistake (a typo, a volume not mounted): serving
    // nothing without a word would hide it.
    const entries = await readdir(dir).catch((err: unknown) => {
      throw new ModelGateError('MG_CONFIG_INVALID', `importDir ${dir} cannot be read`, { cause: err });
    });
    const names = entries.filter((n) => n.endsWith(PACKAGE_EXTENSION)).sort();
    const imported: string[] = [];
    for (const file of names) {
      try {
        const { version } = await this.deps.registry.register({
          bytes: await readFile(join(dir, file)),
          actor,
          trustedKeys: this.deps.trustedKeys,
          decryptionKeys: this.deps.decryptionKeys,
          reason: `imported from ${file}`,
        });
        const model = await this.deps.registry.getModel(version.name);
        if (!model.productionVersion) await this.deps.registry.promote(version.name, version.version, actor, 'first version imported at start');
        imported.push(key(version.name, version.version));
      } catch (err) {
        const reason = await reportRefusal(this.deps, err, { action: 'import', target: file, principal: actor }, 'cannot be read');
        this.deps.models.recordFailure({ name: file, reason });
        this.deps.logger.error({ file }, `package not imported: ${reason}`);
      }
    }
    return imported;
  }

  /** Reconciles every `ms` so changes made through other replicas are picked up. */
  startPolling(ms: number): void {
    if (ms <= 0) return;
    this.timer = setInterval(() => {
      this.reconcile().catch((err: unknown) => this.deps.logger.error({ err }, 'reconcile failed'));
    }, ms);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.chain;
  }
}
