// Routes of the inference plane: OIP v2 REST and the simple JSON API. Thin: parse, call the
// dataplane, encode.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Dataplane, PredictItem, RequestContext } from '../dataplane/index.ts';
import { decodeInferRequest, encodeInferResponse, serializeInferResponse } from '../protocol/index.ts';
import * as S from './schemas.ts';

interface ModelParams {
  model: string;
  version?: string;
}

type Req = FastifyRequest<{ Params: ModelParams }>;

const contextOf = (req: FastifyRequest): RequestContext => ({
  principal: req.principal,
  requestId: req.id,
  header: (name) => {
    const v = req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  },
});

/** Registers a route for /…/models/{m}/… and /…/models/{m}/versions/{v}/…. */
function both(app: FastifyInstance, method: 'GET' | 'POST', prefix: string, suffix: string, opts: object, handler: (req: Req, reply: FastifyReply) => unknown): void {
  for (const url of [`${prefix}/:model${suffix}`, `${prefix}/:model/versions/:version${suffix}`]) {
    app.route({ method, url, ...opts, handler: handler as never });
  }
}

export function inferenceRoutes(app: FastifyInstance, dp: Dataplane): void {
  app.get('/v2/health/live', { config: { public: true }, schema: { response: S.healthResponse } }, async () => ({ live: dp.live() }));
  app.get('/v2/health/ready', { config: { public: true }, schema: { response: S.healthResponse } }, async (_req, reply) => {
    const ready = await dp.ready();
    return reply.code(ready ? 200 : 503).send({ ready });
  });
  app.get('/v2', { schema: { response: S.serverMetadataResponse } }, async () => dp.serverMetadata());

  both(app, 'GET', '/v2/models', '', { schema: { params: S.modelParams, response: S.modelMetadataResponse } }, async (req) =>
    dp.modelMetadata(req.principal, req.params.model, req.params.version),
  );
  both(app, 'GET', '/v2/models', '/ready', { schema: { params: S.modelParams, response: S.readyResponse } }, async (req) =>
    dp.modelReady(req.principal, req.params.model, req.params.version),
  );
  both(
    app, 'POST', '/v2/models', '/infer',
    { schema: { params: S.modelParams, body: S.inferBody, response: S.inferResponse } },
    async (req, reply) => {
      const request = decodeInferRequest(req.body, dp.limits);
      const res = await dp.infer(contextOf(req), req.params.model, req.params.version, request);
      reply.header('x-model-version', res.modelVersion);
      if (res.flags.length > 0) reply.header('x-modelgate-flags', res.flags.join(','));
      const body = encodeInferResponse(res);
      const exact = serializeInferResponse(body);
      return exact === undefined ? body : reply.type('application/json; charset=utf-8').send(exact);
    },
  );
  both(
    app, 'POST', '/v1/models', '/predict',
    { schema: { params: S.modelParams, body: S.predictBody, response: S.predictResponse } },
    async (req, reply) => {
      const body = (req.body ?? {}) as PredictItem & { instances?: PredictItem[] };
      const batch = body.instances !== undefined;
      const items = batch ? body.instances! : [{ text: body.text, inputs: body.inputs }];
      const res = await dp.predict(contextOf(req), req.params.model, req.params.version, items);
      reply.header('x-model-version', res.version);
      if (res.flags.length > 0) reply.header('x-modelgate-flags', res.flags.join(','));
      const { predictions, ...rest } = res;
      return batch ? res : { ...rest, ...predictions[0] };
    },
  );
}
