// Alerts on the admin plane: what is firing, the history of state changes and their webhook
// deliveries, and the rules (defaults, config file, and custom rules stored through this API).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Alerting } from '../monitoring/alerts/index.ts';
import type { AuditSink } from '../dataplane/index.ts';
import { authorize } from '../security/index.ts';

const historyQuery = {
  type: 'object',
  properties: {
    since: { type: 'string', format: 'date-time' },
    rule: { type: 'string', maxLength: 128 },
    limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
  },
  additionalProperties: false,
} as const;
const ruleParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,63}$' } } } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } as const;

type HistoryReq = FastifyRequest<{ Querystring: { since?: string; rule?: string; limit?: string } }>;

export function alertRoutes(alerting: Alerting, audit?: AuditSink) {
  return (app: FastifyInstance): void => {
    app.get('/admin/alerts', async (req) => {
      authorize(req.principal, 'metrics');
      return { active: alerting.active() };
    });
    app.get('/admin/alerts/history', { schema: { querystring: historyQuery } }, async (req: HistoryReq) => {
      authorize(req.principal, 'metrics');
      const { since, rule, limit } = req.query;
      return { events: await alerting.events({ ...(since && { since }), ...(rule && { rule }), limit: limit ? Number(limit) : 100 }) };
    });
    app.get('/admin/alerts/history/:id/notifications', { schema: { params: idParams } }, async (req: FastifyRequest<{ Params: { id: string } }>) => {
      authorize(req.principal, 'metrics');
      return { deliveries: await alerting.deliveries({ eventId: req.params.id }) };
    });
    app.get('/admin/alerts/rules', async (req) => {
      authorize(req.principal, 'metrics');
      return { rules: await alerting.rules() };
    });
    app.put('/admin/alerts/rules/:name', { schema: { params: ruleParams, body: { type: 'object' } } }, async (req: FastifyRequest<{ Params: { name: string }; Body: Record<string, unknown> }>) => {
      authorize(req.principal, 'deploy');
      const rule = await alerting.saveRule({ ...req.body, name: req.params.name }, req.principal.id);
      await audit?.record({ kind: 'admin', requestId: req.id, principal: req.principal.id, status: 200, detail: { action: 'save-alert-rule', target: rule.name, after: JSON.parse(JSON.stringify(rule)) } });
      return { rule };
    });
    app.delete('/admin/alerts/rules/:name', { schema: { params: ruleParams } }, async (req: FastifyRequest<{ Params: { name: string } }>) => {
      authorize(req.principal, 'deploy');
      await alerting.deleteRule(req.params.name);
      await audit?.record({ kind: 'admin', requestId: req.id, principal: req.principal.id, status: 200, detail: { action: 'delete-alert-rule', target: req.params.name } });
      return { deleted: req.params.name };
    });
  };
}
