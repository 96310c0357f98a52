// The auditor's view of the audit log on the admin plane: query, export as JSON lines, verify the
// chain against the server's checkpoint key, and (admin only) archive an old range.
import { mkdir } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KeyObject } from 'node:crypto';
import { archiveAuditLog, archiveFile, exportAuditJsonl, queryAuditRecords, verifyAuditLog, type AuditFilter } from '../audit/index.ts';
import { errors } from '../errors.ts';
import { authorize } from '../security/index.ts';
import type { Store } from '../store/index.ts';

export interface AuditRouteDeps {
  store: Store;
  /** The key that signs this server's checkpoints. */
  publicKey: KeyObject;
  archiveDir: string;
}

const filterSchema = {
  type: 'object',
  properties: {
    fromTime: { type: 'string', format: 'date-time' },
    toTime: { type: 'string', format: 'date-time' },
    fromSeq: { type: 'integer', minimum: 1 },
    toSeq: { type: 'integer', minimum: 1 },
    principal: { type: 'string', maxLength: 256 },
    model: { type: 'string', maxLength: 128 },
    requestId: { type: 'string', maxLength: 128 },
    flag: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,63}$' },
    flagged: { type: 'string', enum: ['true', 'false'] },
    kind: { type: 'string', enum: ['inference', 'rejected', 'admin', 'decision'] },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
    after: { type: 'integer', minimum: 0 },
  },
  additionalProperties: false,
} as const;

type Query = Omit<AuditFilter, 'flagged'> & { flagged?: 'true' | 'false'; limit?: number; after?: number; fromSeq?: number; toSeq?: number };

function filterOf(q: Query): AuditFilter {
  const { limit: _l, after: _a, flagged, ...rest } = q;
  return { ...rest, ...(flagged !== undefined && { flagged: flagged === 'true' }) };
}

export function auditRoutes(app: FastifyInstance, deps: AuditRouteDeps): void {
  // Query strings arrive as text; numbers in this schema are coerced by the route's own parser.
  const numbers = (q: Record<string, unknown>): Query =>
    Object.fromEntries(Object.entries(q).map(([k, v]) => [k, ['fromSeq', 'toSeq', 'limit', 'after'].includes(k) ? Number(v) : v])) as Query;
  const stringly = { ...filterSchema, properties: Object.fromEntries(Object.entries(filterSchema.properties).map(([k, v]) => [k, v.type === 'integer' ? { type: 'string', pattern: '^[0-9]{1,15}$' } : v])) };

  app.get('/admin/audit/records', { schema: { querystring: stringly } }, async (req: FastifyRequest<{ Querystring: Record<string, string> }>) => {
    authorize(req.principal, 'audit');
    const q = numbers(req.query);
    return queryAuditRecords(deps.store, filterOf(q), { limit: q.limit, after: q.after });
  });

  app.get('/admin/audit/export', { schema: { querystring: stringly } }, async (req: FastifyRequest<{ Querystring: Record<string, string> }>, reply) => {
    authorize(req.principal, 'audit');
    const out = new PassThrough();
    exportAuditJsonl(deps.store, filterOf(numbers(req.query)), out).then(() => out.end(), (err: unknown) => out.destroy(err as Error));
    return reply.header('content-type', 'application/x-ndjson').send(out);
  });

  app.get('/admin/audit/verify', { schema: { querystring: { type: 'object', properties: { fromSeq: stringly.properties.fromSeq, toSeq: stringly.properties.toSeq }, additionalProperties: false } } }, async (req: FastifyRequest<{ Querystring: Record<string, string> }>) => {
    authorize(req.principal, 'audit');
    const q = numbers(req.query);
    return verifyAuditLog(deps.store, { publicKeys: [deps.publicKey], fromSeq: q.fromSeq, toSeq: q.toSeq });
  });

  const archiveBody = {
    type: 'object',
    properties: { beforeTime: { type: 'string', format: 'date-time' }, beforeSeq: { type: 'integer', minimum: 2 } },
    additionalProperties: false,
  } as const;
  app.post('/admin/audit/archive', { schema: { body: archiveBody } }, async (req: FastifyRequest<{ Body: { beforeTime?: string; beforeSeq?: number } }>) => {
    authorize(req.principal, 'admin');
    const { beforeTime, beforeSeq } = req.body ?? {};
    if ((beforeTime === undefined) === (beforeSeq === undefined)) throw errors.invalidRequest('give exactly one of beforeTime or beforeSeq');
    await mkdir(deps.archiveDir, { recursive: true, mode: 0o700 });
    const file = archiveFile(deps.archiveDir);
    return archiveAuditLog(deps.store, { beforeTime, beforeSeq, file, actor: req.principal.id, verifyWith: [deps.publicKey] });
  });
}
