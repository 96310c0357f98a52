// Extraction verdicts on the admin plane: who is flagged on which model, at what level, here and in
// the store the replicas share (auditors and admins), and the lift of a level (admins only: the only
// way out of critical). A lift is an audited admin action.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditSink } from '../dataplane/index.ts';
import { ModelGateError } from '../errors.ts';
import { authorize } from '../security/index.ts';
import type { ExtractionControl } from '../security/extraction/index.ts';
import { FAILURES, NAME } from './schemas.ts';

// Principal ids are `key:<id>`, `jwt:<issuer>:<subject>` or `bootstrap-admin`; a subject may hold '/',
// sent as %2F. The admin app allows parameters this long (maxParamLength).
const PRINCIPAL = { type: 'string', minLength: 1, maxLength: 512, pattern: '^[^\\u0000-\\u001f\\u007f]+$' } as const;
const level = { type: 'string' } as const;
const flagged = {
  type: 'object',
  additionalProperties: false,
  properties: {
    principal: { type: 'string' }, model: { type: 'string' }, level, action: { type: 'string' }, local: level, shared: level,
    queries: { type: 'integer' }, sharedSince: { type: 'string' }, sharedBy: { type: 'string' }, reason: { type: ['string', 'null'] },
  },
} as const;

type ListReq = FastifyRequest<{ Querystring: { model?: string } }>;
type LiftReq = FastifyRequest<{ Params: { model: string; principal: string } }>;

export function extractionRoutes(control: ExtractionControl, audit?: AuditSink) {
  return (app: FastifyInstance): void => {
    const listed = { type: 'object', properties: { principals: { type: 'array', items: flagged } } } as const;
    const query = { type: 'object', additionalProperties: false, properties: { model: NAME } } as const;
    app.get('/admin/extraction', { schema: { querystring: query, response: { 200: listed, ...FAILURES } } }, async (req: ListReq) => {
      authorize(req.principal, 'audit');
      return { principals: control.list(req.query.model) };
    });

    const params = { type: 'object', required: ['model', 'principal'], properties: { model: NAME, principal: PRINCIPAL } } as const;
    const lifted = { type: 'object', properties: { principal: { type: 'string' }, model: { type: 'string' }, before: level, level } } as const;
    app.delete('/admin/models/:model/extraction/:principal', { schema: { params, response: { 200: lifted, ...FAILURES } } }, async (req: LiftReq) => {
      authorize(req.principal, 'admin');
      const { model, principal } = req.params;
      const { known, before } = await control.lift(principal, model, req.principal.id);
      if (!known) throw new ModelGateError('MG_NOT_FOUND', `no extraction level is held for principal '${principal}' on model '${model}'`);
      req.log.info({ model, principal, before, actor: req.principal.id }, 'extraction level lifted');
      await audit?.record({
        kind: 'admin', requestId: req.id, principal: req.principal.id, model, status: 200,
        detail: { action: 'lift-extraction-level', target: principal, before, after: 'none' },
      });
      return { principal, model, before, level: 'none' };
    });
  };
}
