// The one place that wires the parts together: settings in, two listening planes out, and an
// orderly shutdown that finishes in-flight requests before the engines are freed.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { isModelGateError } from './errors.ts';
import { createLogger, throttledWarning } from './assembly/logging.ts';
import { loadTls } from './http/tls.ts';
import { loadRepository } from './assembly/repository.ts';
import { buildSafeguards } from './assembly/safeguards.ts';
import { auditHealth, storeCheck } from './assembly/health.ts';
import { startPeriodicWork, startRetention } from './assembly/timers.ts';
import { settingsForModel, type Config } from './config/index.ts';
import { createDataplane, type AuditSink, type Dataplane } from './dataplane/index.ts';
import type { VersionMonitors } from './monitoring/version-monitors.ts';
import type { ExtractionControl, ExtractionDetector } from './security/extraction/index.ts';
import { buildAdminApp, buildInferenceApp } from './http/apps.ts';
import { createMetrics, type Metrics } from './monitoring/index.ts';
import { claimLabels } from './monitoring/feedback/index.ts';
import { ModelSet } from './registry/index.ts';
import { loadServingKeys, type ServingKeys } from './registry/keys.ts';
import { ServingController } from './registry/serving.ts';
import { VersionRegistry } from './registry/versions/index.ts';
import type { LoadSettings } from './runtime/index.ts';
import { DatabaseBlobStore, FileBlobStore, openStore, type Store } from './store/index.ts';
import { AuditLog, auditedPredictions, loadOrCreateAuditSigningKey, type JsonValue } from './audit/index.ts';
import { auditRejections } from './http/rejections.ts';
import { alertRoutes } from './http/alert-routes.ts';
import { extractionRoutes } from './http/extraction-routes.ts';
import { createAlerting, type Alerting } from './monitoring/alerts/index.ts';
import { alertSources } from './monitoring/alert-signals.ts';
import { ApiKeyService, createAuthenticator, createJwtVerifier } from './security/identity/index.ts';
import { CONTROLLER_ACTOR, RolloutController } from './routing/index.ts';
import { endpointRoutes } from './http/endpoint-routes.ts';
import { feedbackRoutes, monitoringStatusRoutes } from './http/monitoring-routes.ts';
import { bootstrapAuthenticator, ensureBootstrapCredential, type BootstrapCredential } from './security/index.ts';

export const SERVER_VERSION = '0.1.0';
export { createLogger };

export interface Server {
  config: Config;
  logger: Logger;
  models: ModelSet;
  metrics: Metrics;
  dataplane: Dataplane;
  credential: BootstrapCredential;
  rollouts: RolloutController;
  auditLog?: AuditLog;
  alerting: Alerting;
  apiKeys: ApiKeyService;
  monitors: VersionMonitors;
  extraction?: ExtractionDetector;
  extractionControl?: ExtractionControl;
  store: Store;
  registry: VersionRegistry;
  serving: ServingController;
  keys: ServingKeys;
  inference: FastifyInstance;
  admin: FastifyInstance;
  /** Starts both planes listening; returns their base URLs. */
  listen(): Promise<{ inferenceUrl: string; adminUrl: string }>;
  /** Refuses new requests, lets in-flight ones finish (up to shutdownGraceMs), frees the engines. */
  close(): Promise<void>;
}

export async function createServer(config: Config, options: { logger?: Logger } = {}): Promise<Server> {
  // A bad certificate stops start-up before anything is opened.
  const tls = loadTls(config);
  const logger = options.logger ?? createLogger(config);
  const credential = await ensureBootstrapCredential({ token: config.bootstrapToken, file: config.bootstrapTokenFile, dataDir: config.dataDir });
  const models = new ModelSet();
  const store = await openStore(
    config.databaseUrl
      ? {
        kind: 'postgres',
        url: config.databaseUrl,
        ...(config.databaseSchema && { schema: config.databaseSchema }),
        poolSize: config.databasePoolSize,
        statementTimeoutMs: config.databaseStatementTimeoutMs,
        lockTimeoutMs: config.databaseLockTimeoutMs,
      }
      : { kind: 'sqlite', path: join(config.dataDir, 'modelgate.db') },
  );
  const auditKey = loadOrCreateAuditSigningKey(config.dataDir);
  const auditLog = config.auditEnabled
    ? await AuditLog.open(store, { signer: auditKey, flushIntervalMs: config.auditFlushIntervalMs, checkpointEvery: config.auditCheckpointEvery })
    : undefined;
  const audit: AuditSink = { record: (e) => (auditLog ? auditLog.append(e) : Promise.resolve()) };
  const parts = buildSafeguards(config, () => metrics, logger, audit, store);
  const metrics = createMetrics(models, () => parts.monitors, () => auditLog?.stats());
  // Levels other replicas stored (or this one before a restart) hold from the first request.
  await parts.extractionControl?.sync();
  // With PostgreSQL, package bytes live in the database too, so replicas need no shared volume; blobs
  // an earlier version of a deployment wrote under <dataDir>/blobs are still read from there.
  const files = new FileBlobStore(config.dataDir);
  const blobs = config.databaseUrl ? new DatabaseBlobStore(store, { fallback: files }) : files;
  const registry = new VersionRegistry({ store, blobs });
  const keys = await loadServingKeys(config);
  if (keys.trusted.size === 0) logger.warn({ paths: keys.trustedPaths }, 'no trusted signing key: no package can be registered or loaded');
  const settingsFor = (name: string, version: string): LoadSettings => ({
    ...settingsForModel(config, name),
    observer: metrics.batchObserver(name, version),
  });
  let rollouts: RolloutController | undefined;
  const serving = new ServingController({
    registry, store, models, trustedKeys: keys.trusted, decryptionKeys: keys.decryption, settingsFor, logger,
    onRefused: (code) => metrics.safeguards.packageRefused(code),
    audit,
    extraVersions: async () => (rollouts ? rollouts.referencedVersions() : []),
  });
  // Keys added to or removed from the mounted paths take effect at the next poll (and before each
  // upload), without a restart; a version that failed to load for want of a key is tried again.
  const keyProblem = throttledWarning(logger, 'the package keys cannot be read again; the keys in force stay');
  const syncKeys = async (): Promise<void> => {
    let changes;
    try {
      changes = await keys.refresh();
    } catch (err) {
      keyProblem(err instanceof Error ? err.message : String(err));
      return;
    }
    if (changes.added.length === 0 && changes.removed.length === 0) return;
    logger.info(changes, 'package keys changed');
    // Not awaited: an upload that found a new key must not wait for (or fail with) reloading every
    // version that failed before.
    serving.retryFailed().catch((err: unknown) => logger.error({ err: String(err) }, 'reconcile after a key change failed'));
  };
  rollouts = await RolloutController.open({
    store,
    promote: async (model, version, actor, reason) => {
      await registry.promote(model, version, actor, reason);
      await serving.reconcile();
    },
    productionVersion: async (model) => (await registry.getModel(model)).productionVersion,
    prepare: async (model, versions) => {
      await serving.prepare(model, versions);
    },
    onChange: (change) => {
      logger.info({ endpoint: change.endpoint, action: change.action }, 'endpoint policy changed');
      // The controller's own decisions (advance, promote, rollback) are audited like an operator's
      // change is by its route; only the replica that decided sees automatic: true.
      if (change.automatic) {
        void audit.record({
          kind: 'decision', principal: CONTROLLER_ACTOR, endpoint: change.endpoint, model: change.endpoint, flags: ['rollout'],
          detail: {
            action: `rollout-${change.action}`, target: change.endpoint, ...(change.reason && { reason: change.reason }),
            before: JSON.parse(JSON.stringify(change.before)) as JsonValue, after: JSON.parse(JSON.stringify(change.after)) as JsonValue,
          },
        }).catch((err: unknown) => logger.error({ err: String(err) }, 'audit of a rollout decision failed'));
      }
      serving.settle(change.endpoint).catch((err: unknown) => logger.error({ err: String(err) }, 'reconcile after a policy change failed'));
    },
    signals: (endpoint, version) => {
      const m = parts.monitors.get(endpoint, version);
      return { drift: m?.drift?.current().drifted ?? false };
    },
  });
  const dataplane = createDataplane({
    models,
    requestTimeoutMs: config.requestTimeoutMs,
    limits: { maxElements: config.maxTensorElements },
    server: { name: 'modelgate', version: SERVER_VERSION, extensions: [] },
    observer: metrics.inference,
    safeguards: parts.safeguards,
    audit,
    rollouts,
    payloadCapture: (model) => config.models[model]?.payloadCapture,
    modelRegistered: (model) => registry.getModel(model).then(() => true, (err: unknown) => (isModelGateError(err) && err.code === 'MG_MODEL_NOT_FOUND' ? false : Promise.reject(err))),
    monitors: parts.monitors,
    feedbackHistory: {
      // Without the audit log nothing records what other replicas answered: only local predictions join.
      answered: async (model, ids) => (auditLog ? auditedPredictions(store, model, ids) : new Map()),
      claim: (model, labels) => claimLabels(store, model, labels),
    },
    readinessChecks: [storeCheck(store)],
  });
  if (config.importDir) await serving.importFolder(config.importDir, 'system:import');
  await serving.reconcile();
  if (config.modelRepository) await loadRepository(config.modelRepository, models, settingsFor, logger);
  serving.startPolling(config.registryPollMs);
  const archiveDir = config.auditArchiveDir ?? join(config.dataDir, 'audit-archive');
  const timers = [
    ...startPeriodicWork(rollouts, config, logger, parts.extractionControl, () => parts.monitors),
    ...(config.registryPollMs > 0 ? [setInterval(() => void syncKeys().catch(() => undefined), config.registryPollMs).unref()] : []),
    ...startRetention(config, store, auditKey.publicKey, archiveDir, logger),
  ];
  dataplane.markStarted();

  const apiKeys = new ApiKeyService(store, { settings: config.identity.apiKeys });
  const jwt = config.identity.jwt
    ? await createJwtVerifier(config.identity.jwt, {
        onJwksFileError: (err) => logger.error({ err: err.message }, 'the JWKS file changed but cannot be used; the keys in force stay'),
        // Why tokens are refused, for whoever sets up the identity provider: once a minute per reason.
        onRefused: throttledWarning(logger, 'a bearer JWT was refused'),
      })
    : undefined;
  const alerting = createAlerting({
    config: config.alerts,
    logger,
    store,
    sources: alertSources({
      registry: metrics.registry,
      monitors: parts.monitors,
      suspectCount: metrics.safeguards.suspectCount,
      auditBroken: auditLog && auditHealth(auditLog, store, auditKey.publicKey),
    }),
  });
  await alerting.start();
  metrics.safeguards.watchAlerts(() => alerting.active());

  const appOptions = {
    logger,
    authenticate: createAuthenticator({ bootstrap: bootstrapAuthenticator(credential), apiKeys, jwt }),
    maxBodyBytes: config.maxBodyBytes,
    maxInFlight: config.maxInFlight,
    maxEventLoopDelayMs: config.maxEventLoopDelayMs,
    maxInFlightPerPrincipal: config.maxInFlightPerPrincipal,
    maxJsonDepth: config.maxJsonDepth,
    tls,
  };
  const inference = buildInferenceApp(dataplane, {
    ...appOptions,
    onRejected: auditRejections(audit, 'inference', (reason, model, version) => metrics.rejected('inference', reason, model, version)),
    onShed: () => metrics.rejected('inference', 'overload'),
    exposeInFlight: (read) => metrics.inFlightFrom('inference', read),
    onAnswered: (method, route, status, seconds) => metrics.httpAnswered('inference', method, route, status, seconds),
  });
  feedbackRoutes(inference, dataplane.feedback!);
  const admin = buildAdminApp(
    {
      dataplane, models, metrics, registry, serving, keys, audit, apiKeys,
      extraRoutes: [
        alertRoutes(alerting, audit), endpointRoutes(rollouts, audit), monitoringStatusRoutes(dataplane.feedback!),
        ...(parts.extractionControl ? [extractionRoutes(parts.extractionControl, audit)] : []),
      ],
      maxPackageBytes: config.maxPackageBytes,
      refreshKeys: syncKeys,
      onRefused: (code: string) => metrics.safeguards.packageRefused(code),
      auditing: { store, publicKey: auditKey.publicKey, archiveDir },
    },
    {
      ...appOptions,
      onRejected: auditRejections(audit, 'admin', (reason, model, version) => metrics.rejected('admin', reason, model, version)),
      onShed: () => metrics.rejected('admin', 'overload'),
      exposeInFlight: (read) => metrics.inFlightFrom('admin', read),
      onAnswered: (method, route, status, seconds) => metrics.httpAnswered('admin', method, route, status, seconds),
    },
  );
  let closing: Promise<void> | undefined;

  return {
    config, logger, models, metrics, dataplane, credential, rollouts, auditLog, alerting, apiKeys, monitors: parts.monitors, extraction: parts.extraction, extractionControl: parts.extractionControl, store, registry, serving, keys, inference, admin,
    async listen() {
      const inferenceUrl = await inference.listen({ host: config.host, port: config.port });
      const adminUrl = await admin.listen({ host: config.adminHost, port: config.adminPort });
      return { inferenceUrl, adminUrl };
    },
    close() {
      closing ??= (async () => {
        dataplane.beginDrain();
        const grace = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownGraceMs).unref());
        await Promise.race([Promise.all([inference.close(), admin.close()]), grace]);
        for (const t of timers) clearInterval(t);
        await serving.stop();
        await alerting.close();
        await models.unloadAll();
        await parts.limiter?.close();
        await parts.features.close();
        await auditLog?.close();
        await store.close();
      })();
      return closing;
    },
  };
}
