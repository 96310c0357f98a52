// Endpoints and rollouts on the admin plane: set a policy, run a canary (pause, resume, abort),
// switch blue/green, shadow, A/B experiments, and read status, rollouts and history. Every change
// is recorded by the controller with its actor and reason, and in the audit log.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditSink } from '../dataplane/index.ts';
import type { JsonValue } from '../audit/index.ts';
import type { RolloutController } from '../routing/index.ts';
import { authorize, can } from '../security/index.ts';
import { NAME } from './schemas.ts';

const params = { type: 'object', required: ['name'], properties: { name: NAME } } as const;
const reason = { type: 'string', maxLength: 1000 } as const;
const withReason = (props: Record<string, unknown> = {}, required: string[] = []) =>
  ({ type: 'object', required, properties: { ...props, reason }, additionalProperties: false }) as const;

type R<B = Record<string, unknown>> = FastifyRequest<{ Params: { name: string }; Body: B & { reason?: string }; Querystring: { limit?: string; before?: string } }>;

export function endpointRoutes(rollouts: RolloutController, audit?: AuditSink) {
  return (app: FastifyInstance): void => {
    const change = async <T>(req: R, action: string, work: () => Promise<T>): Promise<{ result: T }> => {
      authorize(req.principal, 'deploy', req.params.name);
      // The policy in force before the change, read from the store (this replica's copy may be a poll
      // behind another replica's change); null when the endpoint does not exist yet.
      const before = JSON.parse(JSON.stringify(await rollouts.status(req.params.name).then((s) => s.policy, () => null))) as JsonValue;
      const result = await work();
      await audit?.record({
        kind: 'admin', requestId: req.id, principal: req.principal.id, endpoint: req.params.name, model: req.params.name, status: 200,
        detail: { action, target: req.params.name, ...(req.body?.reason && { reason: req.body.reason }), before, after: JSON.parse(JSON.stringify(result ?? null)) as JsonValue },
      });
      return { result };
    };
    const actor = (req: R) => req.principal!.id;

    app.get('/admin/endpoints', async (req) => {
      authorize(req.principal, 'read');
      const p = req.principal;
      // A caller scoped to some models sees only their endpoints.
      return { endpoints: (await rollouts.listEndpoints()).filter((e) => can(p, 'read', e.endpoint)) };
    });
    app.get('/admin/endpoints/:name', { schema: { params } }, async (req: R) => {
      authorize(req.principal, 'read', req.params.name);
      return rollouts.status(req.params.name);
    });
    app.get('/admin/endpoints/:name/rollouts', { schema: { params } }, async (req: R) => {
      authorize(req.principal, 'read', req.params.name);
      return { rollouts: await rollouts.rollouts(req.params.name) };
    });
    const historyQuery = { type: 'object', properties: { limit: { type: 'string', pattern: '^[0-9]{1,4}$' }, before: { type: 'string', pattern: '^[0-9]{1,15}$' } }, additionalProperties: false };
    app.get('/admin/endpoints/:name/history', { schema: { params, querystring: historyQuery } }, async (req: R) => {
      authorize(req.principal, 'read', req.params.name);
      const { limit, before } = req.query;
      return { events: await rollouts.history(req.params.name, { ...(limit && { limit: Number(limit) }), ...(before && { beforeId: Number(before) }) }) };
    });
    app.put('/admin/endpoints/:name', { schema: { params, body: withReason({ policy: { type: 'object' } }, ['policy']) } }, async (req: R<{ policy: unknown }>) =>
      change(req, 'set-policy', async () => {
        const exists = rollouts.policyOf(req.params.name) !== undefined;
        if (exists) await rollouts.updatePolicy(req.params.name, req.body.policy, actor(req), req.body.reason);
        else await rollouts.createEndpoint(req.params.name, req.body.policy, actor(req), req.body.reason);
        return rollouts.policyOf(req.params.name);
      }),
    );
    const canaryBody = withReason({ candidate: NAME, stable: NAME, config: { type: 'object' } }, ['candidate']);
    app.post('/admin/endpoints/:name/canary', { schema: { params, body: canaryBody } }, async (req: R<{ candidate: string; stable?: string; config?: unknown }>) =>
      change(req, 'start-canary', async () => ({
        rollout: await rollouts.startCanary(req.params.name, { candidate: req.body.candidate, stable: req.body.stable, config: req.body.config as never }, actor(req), req.body.reason),
      })),
    );
    for (const op of ['pause', 'resume', 'abort'] as const) {
      app.post(`/admin/endpoints/:name/rollout/${op}`, { schema: { params, body: withReason() } }, async (req: R) =>
        change(req, `${op}-rollout`, async () => (await rollouts[op](req.params.name, actor(req), req.body?.reason)) ?? null),
      );
    }
    app.post('/admin/endpoints/:name/switch', { schema: { params, body: withReason({ to: { type: 'string', enum: ['blue', 'green'] } }) } }, async (req: R<{ to?: 'blue' | 'green' }>) =>
      change(req, 'switch-blue-green', () => rollouts.switchBlueGreen(req.params.name, actor(req), req.body?.reason, req.body?.to)),
    );
    app.post('/admin/endpoints/:name/shadow', { schema: { params, body: withReason({ shadow: NAME, sampleRate: { type: 'number', minimum: 0, maximum: 1 } }, ['shadow']) } }, async (req: R<{ shadow: string; sampleRate?: number }>) =>
      change(req, 'start-shadow', async () => ({ rollout: await rollouts.startShadow(req.params.name, { shadow: req.body.shadow, sampleRate: req.body.sampleRate }, actor(req), req.body.reason) })),
    );
    app.delete('/admin/endpoints/:name/shadow', { schema: { params } }, async (req: R) => change(req, 'stop-shadow', () => rollouts.stopShadow(req.params.name, actor(req))));
    const variant = { type: 'object', required: ['name', 'version', 'weight'], properties: { name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,31}$' }, version: NAME, weight: { type: 'number', minimum: 0 } }, additionalProperties: false };
    const experimentBody = withReason({ variants: { type: 'array', minItems: 2, maxItems: 10, items: variant }, stickyHeader: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' }, positiveLabel: { type: 'string', maxLength: 256 } }, ['variants']);
    app.post('/admin/endpoints/:name/experiment', { schema: { params, body: experimentBody } }, async (req: R<{ variants: { name: string; version: string; weight: number }[]; stickyHeader?: string; positiveLabel?: string }>) =>
      change(req, 'start-experiment', async () => ({
        rollout: await rollouts.startExperiment(req.params.name, { variants: req.body.variants, stickyHeader: req.body.stickyHeader, positiveLabel: req.body.positiveLabel }, actor(req), req.body.reason),
      })),
    );
    app.get('/admin/endpoints/:name/experiment', { schema: { params } }, async (req: R) => {
      authorize(req.principal, 'read', req.params.name);
      return rollouts.experimentReport(req.params.name);
    });
    const winnerQuery = { type: 'object', properties: { winner: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,31}$' } }, additionalProperties: false };
    app.delete('/admin/endpoints/:name/experiment', { schema: { params, querystring: winnerQuery } }, async (req: R<{ winner?: string }>) =>
      change(req, 'stop-experiment', () => rollouts.stopExperiment(req.params.name, actor(req), { winner: (req.query as { winner?: string }).winner })),
    );
  };
}
