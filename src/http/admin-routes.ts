// Registry management on the admin plane: upload packages, read models and versions, promote,
// roll back, alias, archive, delete, load and unload. Reads need 'read', changes need 'deploy', and
// a route naming a model checks the caller's model scope too; every change is recorded in the
// registry history with its actor and reason.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors, ModelGateError } from '../errors.ts';
import type { ModelSet } from '../registry/index.ts';
import type { ServingKeys } from '../registry/keys.ts';
import type { ReconcileReport, ServingController } from '../registry/serving.ts';
import { PRODUCTION_ALIAS, type ModelVersion, type VersionRegistry } from '../registry/versions/index.ts';
import type { AuditSink } from '../dataplane/index.ts';
import type { JsonValue } from '../audit/index.ts';
import { authorize, can } from '../security/index.ts';
import { FAILURES, NAME } from './schemas.ts';

export interface RegistryRouteDeps {
  registry: VersionRegistry;
  serving: ServingController;
  models: ModelSet;
  keys: ServingKeys;
  maxPackageBytes: number;
  audit?: AuditSink;
  /** Counts a refused upload by catalog code. */
  onRefused?: (code: string) => void;
  /** Reads the package keys again (a key just added to the trusted folder counts for this upload). */
  refreshKeys?: () => Promise<void>;
}

const params = (...names: string[]) => ({ type: 'object', required: names, properties: Object.fromEntries(names.map((n) => [n, NAME])) });
const reasonBody = { type: 'object', properties: { reason: { type: 'string', maxLength: 1000 } }, additionalProperties: false } as const;
const anyObject = { type: 'object', additionalProperties: true } as const;
const responses = { 200: anyObject, 201: anyObject, ...FAILURES } as const;

type P = { model: string; version: string; alias: string };
type Req = FastifyRequest<{ Params: P; Body: { reason?: string; version?: string } | undefined }>;

const actor = (req: Req) => req.principal!.id;
const reasonOf = (req: Req) => req.body?.reason;

export function registryRoutes(app: FastifyInstance, deps: RegistryRouteDeps): void {
  const { registry, serving, models } = deps;
  const view = (v: ModelVersion) => ({ ...v, loaded: models.isLoaded(v.name, v.version) });
  /** Every change is an audit record: who, what, on which version, why, and what it led to. */
  const recorded = async <T>(req: Req | FastifyRequest, action: string, target: { model: string; version?: string }, result: T, after?: JsonValue, before?: JsonValue): Promise<T> => {
    const body = (req.body ?? {}) as { reason?: unknown };
    await deps.audit?.record({
      kind: 'admin',
      requestId: req.id,
      principal: req.principal?.id ?? null,
      model: target.model,
      version: target.version ?? null,
      status: 200,
      detail: {
        action, target: target.version ? `${target.model}@${target.version}` : target.model, ...(typeof body.reason === 'string' && { reason: body.reason }),
        ...(before !== undefined && { before }), ...(after !== undefined && { after }),
      },
    });
    return result;
  };
  /** What a change did to serving, for the audit record: failures and kept versions included. */
  const servingSummary = (r: ReconcileReport): JsonValue => ({
    loaded: r.loaded, unloaded: r.unloaded,
    ...(r.kept.length > 0 && { kept: r.kept }),
    ...(r.failed.length > 0 && { failed: r.failed.map((f) => `${f.name}@${f.version}: ${f.reason}`) }),
  });
  /** Which version is in production and where the aliases point: what a promotion, rollback or alias
   * change moves, recorded before and after it. */
  const pointers = async (model: string): Promise<{ productionVersion: string | null; aliases: Record<string, string> }> => {
    const m = await registry.getModel(model);
    return { productionVersion: m.productionVersion, aliases: { ...m.aliases } };
  };
  const moved = async (model: string, report: ReconcileReport): Promise<JsonValue> => ({ ...(await pointers(model)), ...(servingSummary(report) as object) });

  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: deps.maxPackageBytes }, (_req, body, done) => done(null, body));

  app.post('/admin/packages', { schema: { response: responses }, bodyLimit: deps.maxPackageBytes }, async (req, reply) => {
    authorize(req.principal, 'deploy');
    if (!Buffer.isBuffer(req.body)) throw errors.invalidRequest('send the package file as application/octet-stream');
    await deps.refreshKeys?.();
    const { version, created } = await registry
      .register({ bytes: req.body, actor: req.principal.id, trustedKeys: deps.keys.trusted, decryptionKeys: deps.keys.decryption })
      .catch((err: unknown) => {
        if (err instanceof ModelGateError) deps.onRefused?.(err.code);
        throw err;
      });
    await recorded(req, 'register', { model: version.name, version: version.version }, null, { created, sha256: version.packageSha256, signer: version.signerKeyId });
    return reply.code(created ? 201 : 200).send({ created, version: view(version) });
  });

  app.get('/admin/models', { schema: { response: responses } }, async (req) => {
    authorize(req.principal, 'read');
    // A scoped caller sees the models of its scope only, not even the names of the others.
    const principal = req.principal;
    const visible = (name: string) => can(principal, 'read', name);
    const list = (await registry.listModels()).filter((m) => visible(m.name));
    const registered = new Set(list.map((m) => m.name));
    return {
      models: list.map((m) => ({ ...m, loaded: models.has(m.name) ? models.versions(m.name) : [] })),
      // Development-only unsigned models, served but not in the registry.
      unregistered: models.all().filter((v) => !registered.has(v.name) && visible(v.name)).map((v) => ({ name: v.name, version: v.version, origin: v.origin })),
      failures: models.loadFailures().filter((f) => visible(f.name)),
    };
  });

  app.get('/admin/models/:model', { schema: { params: params('model'), response: responses } }, async (req: Req) => {
    authorize(req.principal, 'read', req.params.model);
    const model = await registry.getModel(req.params.model);
    const versions = await registry.listVersions(req.params.model);
    return { ...model, versions: versions.map((v) => ({ ...view(v), manifest: undefined })) };
  });

  app.get('/admin/models/:model/history', { schema: { params: params('model'), response: responses } }, async (req: Req) => {
    authorize(req.principal, 'read', req.params.model);
    return { history: await registry.history(req.params.model) };
  });

  app.get('/admin/models/:model/versions/:version', { schema: { params: params('model', 'version'), response: responses } }, async (req: Req) => {
    authorize(req.principal, 'read', req.params.model);
    return view(await registry.getVersion(req.params.model, req.params.version));
  });

  /** Makes `version` production through `commit`, loaded and warmed first (ServingController.loadFirst). */
  const toProduction = <T>(model: string, version: string | undefined, commit: () => Promise<T>) =>
    serving.loadFirst(model, version, commit, '; production is unchanged');

  // The lifecycle changes take an optional body (only a reason): a bodiless POST is an empty one.
  app.addHook('preValidation', async (req) => {
    if ((req.body === undefined || req.body === null) && req.routeOptions.schema?.body === reasonBody) req.body = {};
  });
  const change = { schema: { params: params('model', 'version'), body: reasonBody, response: responses } };
  app.post('/admin/models/:model/versions/:version/promote', change, async (req: Req) => {
    authorize(req.principal, 'deploy', req.params.model);
    const before = await pointers(req.params.model);
    const { result: version, report } = await toProduction(req.params.model, req.params.version, () => registry.promote(req.params.model, req.params.version, actor(req), reasonOf(req)));
    return recorded(req, 'promote', req.params, { version: view(version), serving: report }, await moved(req.params.model, report), before);
  });
  app.post('/admin/models/:model/rollback', { schema: { params: params('model'), body: reasonBody, response: responses } }, async (req: Req) => {
    authorize(req.principal, 'deploy', req.params.model);
    const before = await pointers(req.params.model);
    const target = await registry.rollbackTarget(req.params.model);
    const { result: version, report } = await toProduction(req.params.model, target, () => registry.rollback(req.params.model, actor(req), reasonOf(req), target));
    return recorded(req, 'rollback', { model: req.params.model, version: version.version }, { version: view(version), serving: report }, await moved(req.params.model, report), before);
  });
  app.post('/admin/models/:model/versions/:version/archive', change, async (req: Req) => {
    authorize(req.principal, 'deploy', req.params.model);
    const version = await registry.archive(req.params.model, req.params.version, actor(req), reasonOf(req));
    return recorded(req, 'archive', req.params, { version: view(version) });
  });
  app.delete('/admin/models/:model/versions/:version', { schema: { params: params('model', 'version'), response: responses } }, async (req: Req) => {
    authorize(req.principal, 'deploy', req.params.model);
    const { model, version } = req.params;
    const result = await registry.delete(model, version, actor(req), { isServing: (n, v) => models.isLoaded(n, v), isKept: (n, v) => serving.isKept(n, v) });
    return recorded(req, 'delete', { model, version }, result);
  });
  app.post('/admin/models/:model/versions/:version/load', change, async (req: Req) => {
    authorize(req.principal, 'deploy', req.params.model);
    const report = await serving.load(req.params.model, req.params.version, actor(req));
    return recorded(req, 'load', req.params, { serving: report }, servingSummary(report));
  });
  app.post('/admin/models/:model/versions/:version/unload', change, async (req: Req) => {
    authorize(req.principal, 'deploy', req.params.model);
    const report = await serving.unload(req.params.model, req.params.version);
    return recorded(req, 'unload', req.params, { serving: report }, servingSummary(report));
  });

  const aliasBody = { type: 'object', required: ['version'], properties: { version: NAME, reason: { type: 'string', maxLength: 1000 } }, additionalProperties: false };
  app.put('/admin/models/:model/aliases/:alias', { schema: { params: params('model', 'alias'), body: aliasBody, response: responses } }, async (req: Req) => {
    authorize(req.principal, 'deploy', req.params.model);
    const before = await pointers(req.params.model);
    const target = req.params.alias === PRODUCTION_ALIAS ? req.body!.version! : undefined;
    const { result: version, report } = await toProduction(req.params.model, target, () => registry.setAlias(req.params.model, req.params.alias, req.body!.version!, actor(req), reasonOf(req)));
    return recorded(req, `set-alias ${req.params.alias}`, { model: req.params.model, version: version.version }, { version: view(version), serving: report }, await moved(req.params.model, report), before);
  });
  app.delete('/admin/models/:model/aliases/:alias', { schema: { params: params('model', 'alias'), response: responses } }, async (req: Req) => {
    authorize(req.principal, 'deploy', req.params.model);
    const before = await pointers(req.params.model);
    await registry.removeAlias(req.params.model, req.params.alias, actor(req));
    const report = await serving.reconcile();
    return recorded(req, `remove-alias ${req.params.alias}`, { model: req.params.model }, { serving: report }, await moved(req.params.model, report), before);
  });
}
