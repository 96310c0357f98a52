// Feedback on the inference plane (callers label the requests they made) and the drift and decay
// status of a model on the admin plane.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Feedback, FeedbackItem } from '../dataplane/feedback.ts';
import { errors } from '../errors.ts';
import { NAME } from './schemas.ts';

const params = { type: 'object', required: ['model'], properties: { model: NAME } } as const;
const item = {
  type: 'object',
  required: ['requestId', 'label'],
  properties: { requestId: { type: 'string', minLength: 1, maxLength: 200 }, label: { type: 'string', minLength: 1, maxLength: 256 } },
  additionalProperties: false,
} as const;
const body = {
  type: 'object',
  properties: { ...item.properties, items: { type: 'array', minItems: 1, maxItems: 10_000, items: item } },
  additionalProperties: false,
} as const;

type FeedbackReq = FastifyRequest<{ Params: { model: string }; Body: Partial<FeedbackItem> & { items?: FeedbackItem[] } }>;

export function feedbackRoutes(app: FastifyInstance, feedback: Feedback): void {
  app.post('/v1/models/:model/feedback', { schema: { params, body } }, async (req: FeedbackReq) => {
    const b = req.body;
    const items = b.items ?? (b.requestId && b.label ? [{ requestId: b.requestId, label: b.label }] : []);
    if (items.length === 0 || (b.items && (b.requestId || b.label))) throw errors.invalidRequest('send {"requestId", "label"} or {"items": [...]}');
    return { results: await feedback.feedback(req.principal, req.params.model, items) };
  });
}

export function monitoringStatusRoutes(feedback: Feedback) {
  return (app: FastifyInstance): void => {
    app.get('/admin/models/:model/monitoring', { schema: { params } }, async (req: FastifyRequest<{ Params: { model: string } }>) =>
      feedback.status(req.principal, req.params.model),
    );
  };
}
