// API key management on the admin plane: create (the key is in this one response and nowhere
// else), list, read and revoke. Admin only. Responses are serialised from explicit schemas, so a
// field that is not listed here (a hash, say) cannot reach a client even if a record carried it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authorize, ROLES, type Role } from '../security/index.ts';
import type { ApiKeyService } from '../security/identity/index.ts';
import type { AuditSink } from '../dataplane/index.ts';
import { FAILURES } from './schemas.ts';

export interface KeyRouteDeps {
  apiKeys: Pick<ApiKeyService, 'create' | 'list' | 'get' | 'revoke'>;
  /** Records key creation and revocation (never the key). */
  audit?: AuditSink;
}

const nullable = (type: string) => ({ type: [type, 'null'] }) as const;
const record = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    roles: { type: 'array', items: { type: 'string' } },
    models: { type: ['array', 'null'], items: { type: 'string' } },
    createdAt: { type: 'string' },
    createdBy: { type: 'string' },
    expiresAt: nullable('string'),
    revokedAt: nullable('string'),
    revokedBy: nullable('string'),
    lastUsedAt: nullable('string'),
    status: { type: 'string' },
  },
} as const;

const createBody = {
  type: 'object',
  required: ['name', 'roles'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    roles: { type: 'array', minItems: 1, maxItems: ROLES.length, items: { type: 'string', enum: [...ROLES] } },
    // A predictor must name its models, or send ['*'] for every model (the service says so if not).
    models: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', pattern: '^(\\*|[A-Za-z0-9][A-Za-z0-9._-]{0,62})$' } },
    expiresAt: { type: 'string', minLength: 1, maxLength: 40 },
  },
} as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[a-z2-7]{12}$' } } } as const;

type CreateReq = FastifyRequest<{ Body: { name: string; roles: Role[]; models?: string[]; expiresAt?: string } }>;
type IdReq = FastifyRequest<{ Params: { id: string } }>;

export const KEY_WARNING = 'Store this key now: it is shown only this once and cannot be recovered, only revoked and replaced.';

export function keyRoutes(app: FastifyInstance, deps: KeyRouteDeps): void {
  const { apiKeys } = deps;

  const created = { type: 'object', properties: { key: { type: 'string' }, warning: { type: 'string' }, record } } as const;
  app.post('/admin/keys', { schema: { body: createBody, response: { 201: created, ...FAILURES } } }, async (req: CreateReq, reply) => {
    authorize(req.principal, 'admin');
    const { name, roles, models, expiresAt } = req.body;
    const result = await apiKeys.create({ name, roles, models, expiresAt, actor: req.principal.id });
    req.log.info({ keyId: result.record.id, roles: result.record.roles, actor: req.principal.id }, 'api key created');
    await deps.audit?.record({
      kind: 'admin', requestId: req.id, principal: req.principal.id, status: 201,
      detail: { action: 'create-key', target: result.record.id, after: { name, roles: result.record.roles, models: result.record.models, expiresAt: result.record.expiresAt } },
    });
    // The secret must not be kept by any cache between here and the operator.
    reply.header('cache-control', 'no-store');
    return reply.code(201).send({ key: result.key, warning: KEY_WARNING, record: result.record });
  });

  const listed = { type: 'object', properties: { keys: { type: 'array', items: record } } } as const;
  app.get('/admin/keys', { schema: { response: { 200: listed, ...FAILURES } } }, async (req) => {
    authorize(req.principal, 'admin');
    return { keys: await apiKeys.list() };
  });

  const one = { type: 'object', properties: { key: record } } as const;
  app.get('/admin/keys/:id', { schema: { params: idParams, response: { 200: one, ...FAILURES } } }, async (req: IdReq) => {
    authorize(req.principal, 'admin');
    return { key: await apiKeys.get(req.params.id) };
  });

  app.delete('/admin/keys/:id', { schema: { params: idParams, response: { 200: one, ...FAILURES } } }, async (req: IdReq) => {
    authorize(req.principal, 'admin');
    const key = await apiKeys.revoke(req.params.id, req.principal.id);
    req.log.info({ keyId: key.id, actor: req.principal.id }, 'api key revoked');
    await deps.audit?.record({ kind: 'admin', requestId: req.id, principal: req.principal.id, status: 200, detail: { action: 'revoke-key', target: key.id } });
    return { key };
  });
}
