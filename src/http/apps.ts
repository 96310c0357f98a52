// Builds the two Fastify apps: the inference plane and the admin plane. They share the error
// handler and the guards; only server.ts starts them listening.
import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Dataplane } from '../dataplane/index.ts';
import type { Metrics } from '../monitoring/index.ts';
import type { ModelSet } from '../registry/index.ts';
import type { ServingKeys } from '../registry/keys.ts';
import type { ServingController } from '../registry/serving.ts';
import type { VersionRegistry } from '../registry/versions/index.ts';
import { registryRoutes } from './admin-routes.ts';
import { auditRoutes, type AuditRouteDeps } from './audit-routes.ts';
import type { AuditSink } from '../dataplane/index.ts';
import { authorize, type Principal } from '../security/index.ts';
import type { ApiKeyService } from '../security/identity/index.ts';
import { keyRoutes } from './key-routes.ts';
import { createErrorHandler, sendError } from './errors.ts';
import type { OnRejected } from './rejections.ts';
import { installGuards } from './guards.ts';
import { inferenceRoutes } from './inference-routes.ts';
import { installJsonParser } from './json-body.ts';
import { applySecurityHeaders, installSecurityHeaders } from './security-headers.ts';
import type { PlaneTls } from './tls.ts';

export interface AppOptions {
  logger: Logger;
  authenticate: (credential: string | undefined) => Promise<Principal | undefined> | Principal | undefined;
  maxBodyBytes: number;
  maxInFlight: number;
  maxEventLoopDelayMs: number;
  /** Requests one principal may have in flight per plane (429 beyond); absent or 0: no cap. */
  maxInFlightPerPrincipal?: number;
  /** Deepest JSON nesting accepted in a body; absent: DEFAULT_MAX_JSON_DEPTH. */
  maxJsonDepth?: number;
  /** HTTPS per plane, from loadTls (src/http/tls.ts); a plane without an entry serves HTTP. */
  tls?: PlaneTls;
  onShed?: () => void;
  /** Given a reader of the plane's requests in flight (the modelgate_inflight_requests gauge). */
  exposeInFlight?: (read: () => number) => void;
  /** Told of every answer: method, the route's pattern ('' when no route matched), status, seconds. */
  onAnswered?: (method: string, route: string, status: number, seconds: number) => void;
}

/** What a refusal Fastify makes before routing is answered, by its code. The path is not repeated:
 * it is whatever the client sent. */
const FRAMEWORK_REFUSALS: Record<string, [number, string]> = {
  FST_ERR_BAD_URL: [400, 'the URL path is not valid: a percent sign must start a valid UTF-8 escape (%XX)'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'a path parameter is longer than 1024 characters'],
};

/** The maxJsonDepth setting's default, for apps built without settings (tests, tools). */
export const DEFAULT_MAX_JSON_DEPTH = 32;

export interface PlaneHooks {
  onRejected?: OnRejected;
}

function base(opts: AppOptions & PlaneHooks, plane: 'inference' | 'admin'): FastifyInstance {
  const tls = opts.tls?.[plane];
  const app = Fastify({
    ...(tls && { https: tls }),
    loggerInstance: opts.logger.child({ plane }),
    // Per-request lines would cost throughput and duplicate the audit log; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.maxBodyBytes,
    // A path parameter may be a principal id (`jwt:<issuer URL>:<subject>`, often over 100 characters);
    // the route schemas bound each parameter themselves.
    routerOptions: { maxParamLength: 1024 },
    // Keep clients' values as they sent them: no type coercion, no silent removal.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, allowUnionTypes: true } },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Ids are the server's own, never a client's: feedback and audit records key on them.
    requestIdHeader: false,
    genReqId: () => crypto.randomUUID(),
    // Refusals Fastify makes before routing (a path that is not valid percent-encoding, an overlong
    // parameter) are answered like every other error, headers and metrics included.
    frameworkErrors: (err, req, reply) => {
      const [status, message] = FRAMEWORK_REFUSALS[err.code] ?? [500, 'internal error'];
      reply.raw.once('finish', () => opts.onAnswered?.(req.method, '', status, reply.elapsedTime / 1000));
      reply.header('x-request-id', req.id);
      applySecurityHeaders(reply as unknown as FastifyReply, { tls: tls !== undefined });
      sendError(reply as unknown as FastifyReply, status, message);
    },
  }) as unknown as FastifyInstance;
  // JSON only: a text/plain body would otherwise be parsed and fail later with a vaguer message.
  app.removeContentTypeParser('text/plain');
  installJsonParser(app, opts.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH);
  installSecurityHeaders(app, { tls: tls !== undefined });
  app.setErrorHandler(createErrorHandler(opts.onRejected));
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, `no route ${req.method} ${req.url.split('?')[0]}`));
  const answered = opts.onAnswered;
  if (answered) {
    // The route's pattern, never the URL: a label per model name or garbage path would grow without bound.
    // A request no route matched reaches the not-found handler, whose routeOptions.url is undefined.
    app.addHook('onResponse', (req, reply, done) => {
      answered(req.method, req.is404 ? '' : (req.routeOptions.url ?? ''), reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  }
  installGuards(app, opts);
  return app;
}

export function buildInferenceApp(dp: Dataplane, opts: AppOptions & PlaneHooks): FastifyInstance {
  const app = base(opts, 'inference');
  inferenceRoutes(app, dp);
  return app;
}

export interface AdminDeps {
  dataplane: Dataplane;
  models: ModelSet;
  metrics: Metrics;
  registry: VersionRegistry;
  serving: ServingController;
  keys: ServingKeys;
  maxPackageBytes: number;
  onRefused?: (code: string) => void;
  /** Reads the package keys again before an upload. */
  refreshKeys?: () => Promise<void>;
  audit: AuditSink;
  auditing: AuditRouteDeps;
  apiKeys: ApiKeyService;
  /** Further admin routes (alerts, endpoints) registered by their capability. */
  extraRoutes?: ((app: FastifyInstance) => void)[];
}

export function buildAdminApp(deps: AdminDeps, opts: AppOptions & PlaneHooks): FastifyInstance {
  const app = base(opts, 'admin');
  app.get('/v2/health/live', { config: { public: true } }, async () => ({ live: true }));
  app.get('/v2/health/ready', { config: { public: true } }, async (_req, reply) => {
    const ready = await deps.dataplane.ready();
    return reply.code(ready ? 200 : 503).send({ ready });
  });
  app.get('/metrics', async (req, reply) => {
    authorize(req.principal, 'metrics');
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
  registryRoutes(app, deps);
  auditRoutes(app, deps.auditing);
  keyRoutes(app, { apiKeys: deps.apiKeys, audit: deps.audit });
  for (const add of deps.extraRoutes ?? []) add(app);
  return app;
}
