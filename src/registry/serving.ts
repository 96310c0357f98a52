// Keeps the loaded versions in step with the registry: each model's production version plus the
// versions an operator loaded. The store is the single source of truth, so every replica converges
// on the same set by reconciling (after each change here, and on a timer for changes made elsewhere).
// A swap loads and warms the new version first, switches the default atomically, then drains and
// unloads the old one: no request is dropped.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { isModelGateError, ModelGateError } from '../errors.ts';
import { loadVersion, type LoadSettings } from '../runtime/index.ts';
import type { Store } from '../store/index.ts';
import type { ModelSet } from './model-set.ts';
import { reportRefusal, type RefusalAudit } from './refusals.ts';
import { importFolder } from './import.ts';
import { openPackage, type TrustStore } from './package/index.ts';
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
  /** Versions loaded ahead of a change that is about to reference them, with when and for whom: an
   * endpoint's policy change (`endpoint:<name>`) or one admin operation (a token of its own). An
   * owner's settle releases only its own holds, so two changes prepared at once never unload each
   * other's versions. */
  private readonly prepared = new Map<string, { name: string; version: string; at: number; owners: Set<string> }>();
  /** Versions kept at the last reconcile because their model's production version cannot load here
   * (each logged when it starts being kept). */
  private readonly keptNow = new Set<string>();
  private stopped = false;

  constructor(private readonly deps: ServingDeps) {}

  /** Runs reconciliations one at a time, in order. */
  reconcile(): Promise<ReconcileReport> {
    // After stop() (shutdown), nothing may load an engine into a server that is closing.
    const run = this.chain.then(() => (this.stopped ? { loaded: [], unloaded: [], failed: [], kept: [] } : this.reconcileOnce()));
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
    for (const [k, p] of this.prepared) if (now - p.at > PREPARED_GRACE_MS || p.owners.size === 0) this.prepared.delete(k);
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
        // Only a verdict on the package is remembered (not retried until the registry or the keys
        // change); a store timeout or a read error is tried again at the next reconcile.
        if (isModelGateError(err) && PACKAGE_VERDICTS.has(err.code)) this.failedDigests.set(v.packageSha256, reason);
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
    const kept = new Set<string>();
    for (const v of models.all()) {
      if (!v.origin.startsWith(REGISTRY_ORIGIN) || want.has(key(v.name, v.version))) continue;
      // Only the version that was production here (the explicit default), never one that merely
      // happens to be loaded (a canary candidate, a version loaded beside production).
      if (stranded.has(v.name) && models.explicitDefault(v.name) === v.version) {
        const k = key(v.name, v.version);
        report.kept.push(k);
        kept.add(k);
        if (!this.keptNow.has(k)) logger.warn({ model: v.name, version: v.version }, 'the production version cannot be loaded here; the version that was serving stays');
        continue;
      }
      await models.remove(v.name, v.version);
      report.unloaded.push(key(v.name, v.version));
      logger.info({ model: v.name, version: v.version }, 'model version unloaded');
    }
    this.keptNow.clear();
    for (const k of kept) this.keptNow.add(k);
    return report;
  }

  /**
   * Loads versions a change is about to send traffic to, held for `owner` until its settle(); throws
   * when one cannot load. A version asked for by name is tried again even if it failed before: an
   * operator retrying a promotion wants a fresh attempt, not the remembered failure.
   */
  async prepare(name: string, versions: readonly string[], owner = endpointOwner(name)): Promise<ReconcileReport> {
    for (const version of versions) {
      const v = await this.deps.registry.getVersion(name, version);
      this.failedDigests.delete(v.packageSha256);
      const k = key(name, version);
      const entry = this.prepared.get(k) ?? { name, version, at: 0, owners: new Set<string>() };
      entry.at = Date.now();
      entry.owners.add(owner);
      this.prepared.set(k, entry);
    }
    const report = await this.reconcile();
    const failed = report.failed.find((f) => f.name === name && versions.includes(f.version));
    if (failed) throw new ModelGateError('MG_MODEL_NOT_READY', `version '${failed.version}' of '${name}' cannot be loaded: ${failed.reason}`);
    for (const version of versions) {
      if (!this.deps.models.isLoaded(name, version)) throw new ModelGateError('MG_MODEL_NOT_READY', `version '${version}' of '${name}' is not loaded`);
    }
    return report;
  }

  /** Whether the version serves here only in place of a production version that cannot load. */
  isKept(name: string, version: string): boolean {
    return this.keptNow.has(key(name, version));
  }

  /** The package keys changed: versions that failed to load are tried again (one may have lacked its
   * signing or decryption key). */
  retryFailed(): Promise<ReconcileReport> {
    this.failedDigests.clear();
    return this.reconcile();
  }

  /** After a routing change is committed its versions are referenced: the preparation can go. */
  settle(name: string, owner = endpointOwner(name)): Promise<ReconcileReport> {
    for (const p of this.prepared.values()) if (p.name === name) p.owners.delete(owner);
    return this.reconcile();
  }

  /**
   * Loads and warms `version` before `commit` makes it served (promote, rollback, the production
   * alias, load): a version that cannot be served is refused (MG_CONFLICT with the reason, then
   * `unchanged`) before anything changes, and the version serving now goes on serving.
   */
  async loadFirst<T>(name: string, version: string | undefined, commit: () => Promise<T>, unchanged = ''): Promise<{ result: T; report: ReconcileReport }> {
    const owner = `operation:${randomUUID()}`;
    let prepared: ReconcileReport | undefined;
    try {
      if (version !== undefined) prepared = await this.prepare(name, [version], owner);
    } catch (err) {
      await this.settle(name, owner);
      throw notLoadable(err, unchanged);
    }
    let result: T;
    try {
      result = await commit();
    } catch (err) {
      await this.settle(name, owner);
      throw err;
    }
    return { result, report: merged(prepared, await this.settle(name, owner)) };
  }

  /** Serves a version besides the production one, and keeps serving it across restarts. A version
   * that cannot load is refused (MG_CONFLICT with the reason) and not kept for later. */
  async load(name: string, version: string, actor: string): Promise<ReconcileReport> {
    const { report } = await this.loadFirst(name, version, async () => {
      await this.deps.store.db
        .insertInto('served_versions')
        .values({ model_name: name, version, loaded_at: new Date().toISOString(), loaded_by: actor })
        .onConflict((oc) => oc.columns(['model_name', 'version']).doNothing())
        .execute();
    });
    return report;
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
  importFolder(dir: string, actor: string): Promise<string[]> {
    return importFolder(this.deps, dir, actor);
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
    this.stopped = true;
    clearInterval(this.timer);
    await this.chain;
  }
}

/** The owner of the versions an endpoint's policy change prepares (see prepare and settle). */
const endpointOwner = (name: string) => `endpoint:${name}`;

/** Failures that are verdicts on the package itself: remembered, not retried on every reconcile. */
const PACKAGE_VERDICTS: ReadonlySet<string> = new Set(['MG_PACKAGE_INVALID', 'MG_SIGNATURE_INVALID', 'MG_DECRYPTION_FAILED', 'MG_INFERENCE_FAILED']);

function notLoadable(err: unknown, suffix: string): unknown {
  return isModelGateError(err) && err.code === 'MG_MODEL_NOT_READY' ? new ModelGateError('MG_CONFLICT', `${err.message}${suffix}`) : err;
}

/** What one change did to serving: the loads before its commit and the swap after it. */
function merged(before: ReconcileReport | undefined, after: ReconcileReport): ReconcileReport {
  if (!before) return after;
  return { loaded: [...before.loaded, ...after.loaded], unloaded: [...before.unloaded, ...after.unloaded], failed: after.failed, kept: after.kept };
}
