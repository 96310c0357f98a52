// Every route of both planes against every role, on a real server with real API keys made through
// the admin API. The expectations come from the roles table of docs/identity.md, written out here
// (not read from src/security/principal.ts), and the route list comes from Fastify itself: a route
// that this table does not describe fails the test, so no route can be added without a decision.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { offsetModel } from '../fixtures/onnx.ts';
import { makeSigner, packageOf, trusting } from '../fixtures/packages.ts';
import { tempDir, testServer, type TestServer } from '../fixtures/server.ts';

type Action = 'infer' | 'label' | 'read' | 'metrics' | 'audit' | 'deploy' | 'admin';
type Role = 'admin' | 'deployer' | 'predictor' | 'labeller' | 'auditor' | 'viewer';

/** docs/identity.md, "Roles". */
const GRANTED: Record<Role, readonly Action[]> = {
  admin: ['infer', 'label', 'read', 'metrics', 'audit', 'deploy', 'admin'],
  deployer: ['read', 'metrics', 'deploy'],
  predictor: ['infer', 'read'],
  labeller: ['label', 'read'],
  auditor: ['read', 'metrics', 'audit'],
  viewer: ['read'],
};
const ROLES = Object.keys(GRANTED) as Role[];
/** The predictor's and labeller's keys are scoped to this model; OTHER is served too but outside their scope. */
const SCOPED: readonly Role[] = ['predictor', 'labeller'];
const IN_SCOPE = 'alpha';
const OTHER = 'beta';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
interface Call {
  url: string;
  payload?: unknown;
  contentType?: string;
}
interface Rule {
  plane: 'inference' | 'admin';
  method: Method;
  /** The route as Fastify prints it. */
  route: string;
  /** 'public': no credential needed; 'any': every authenticated role; a list: any one of its actions. */
  need: Action | readonly Action[] | 'public' | 'any';
  /** The route names a model (or an endpoint, the name clients call): a scoped principal is limited to its scope. */
  scoped?: boolean;
  /** A request that passes the route's schema, for the named model: refusals must come from the role, not the body. */
  call: (model: string) => Call;
}

let pkg: Buffer;
const tensor = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [1] }] };
const r = (plane: Rule['plane'], method: Method, route: string, need: Rule['need'], call: Rule['call'], scoped = false): Rule => ({ plane, method, route, need, call, scoped });
const at = (url: string, payload?: unknown) => () => ({ url, payload });
const m = (f: (model: string) => string, payload?: unknown) => (model: string) => ({ url: f(model), payload });

// Mutating routes aim at things that do not exist (version 9, key aaaaaaaaaaaa), so an allowed role
// gets a 404 or 409 after passing authorization and the matrix does not change what it tests.
const RULES: Rule[] = [
  r('inference', 'GET', '/v2/health/live', 'public', at('/v2/health/live')),
  r('inference', 'GET', '/v2/health/ready', 'public', at('/v2/health/ready')),
  r('inference', 'GET', '/v2', 'any', at('/v2')),
  r('inference', 'GET', '/v2/models/:model', 'read', m((x) => `/v2/models/${x}`), true),
  r('inference', 'GET', '/v2/models/:model/ready', 'read', m((x) => `/v2/models/${x}/ready`), true),
  r('inference', 'POST', '/v2/models/:model/infer', 'infer', m((x) => `/v2/models/${x}/infer`, tensor), true),
  r('inference', 'GET', '/v2/models/:model/versions/:version', 'read', m((x) => `/v2/models/${x}/versions/1`), true),
  r('inference', 'GET', '/v2/models/:model/versions/:version/ready', 'read', m((x) => `/v2/models/${x}/versions/1/ready`), true),
  r('inference', 'POST', '/v2/models/:model/versions/:version/infer', 'infer', m((x) => `/v2/models/${x}/versions/1/infer`, tensor), true),
  r('inference', 'POST', '/v1/models/:model/predict', 'infer', m((x) => `/v1/models/${x}/predict`, { inputs: { x: [1] } }), true),
  r('inference', 'POST', '/v1/models/:model/versions/:version/predict', 'infer', m((x) => `/v1/models/${x}/versions/1/predict`, { inputs: { x: [1] } }), true),
  // Its own requests with `infer`, anyone's with `label` (docs/drift.md).
  r('inference', 'POST', '/v1/models/:model/feedback', ['infer', 'label'], m((x) => `/v1/models/${x}/feedback`, { requestId: 'no-such-request', label: 'spam' }), true),

  r('admin', 'GET', '/v2/health/live', 'public', at('/v2/health/live')),
  r('admin', 'GET', '/v2/health/ready', 'public', at('/v2/health/ready')),
  r('admin', 'GET', '/metrics', 'metrics', at('/metrics')),
  r('admin', 'POST', '/admin/packages', 'deploy', () => ({ url: '/admin/packages', payload: pkg, contentType: 'application/octet-stream' })),
  r('admin', 'GET', '/admin/models', 'read', at('/admin/models')),
  r('admin', 'GET', '/admin/models/:model', 'read', m((x) => `/admin/models/${x}`), true),
  r('admin', 'GET', '/admin/models/:model/history', 'read', m((x) => `/admin/models/${x}/history`), true),
  r('admin', 'GET', '/admin/models/:model/versions/:version', 'read', m((x) => `/admin/models/${x}/versions/1`), true),
  r('admin', 'DELETE', '/admin/models/:model/versions/:version', 'deploy', m((x) => `/admin/models/${x}/versions/9`), true),
  r('admin', 'POST', '/admin/models/:model/versions/:version/promote', 'deploy', m((x) => `/admin/models/${x}/versions/9/promote`, {}), true),
  r('admin', 'POST', '/admin/models/:model/versions/:version/archive', 'deploy', m((x) => `/admin/models/${x}/versions/9/archive`, {}), true),
  r('admin', 'POST', '/admin/models/:model/versions/:version/load', 'deploy', m((x) => `/admin/models/${x}/versions/9/load`, {}), true),
  r('admin', 'POST', '/admin/models/:model/versions/:version/unload', 'deploy', m((x) => `/admin/models/${x}/versions/9/unload`, {}), true),
  // Only one version of each model: a rollback has nowhere to go.
  r('admin', 'POST', '/admin/models/:model/rollback', 'deploy', m((x) => `/admin/models/${x}/rollback`, {}), true),
  r('admin', 'PUT', '/admin/models/:model/aliases/:alias', 'deploy', m((x) => `/admin/models/${x}/aliases/staging`, { version: '9' }), true),
  r('admin', 'DELETE', '/admin/models/:model/aliases/:alias', 'deploy', m((x) => `/admin/models/${x}/aliases/nosuchalias`), true),
  r('admin', 'GET', '/admin/models/:model/monitoring', 'metrics', m((x) => `/admin/models/${x}/monitoring`), true),
  r('admin', 'GET', '/admin/audit/records', 'audit', at('/admin/audit/records?limit=1')),
  r('admin', 'GET', '/admin/audit/export', 'audit', at('/admin/audit/export?limit=1')),
  r('admin', 'GET', '/admin/audit/verify', 'audit', at('/admin/audit/verify')),
  r('admin', 'POST', '/admin/audit/archive', 'admin', at('/admin/audit/archive', { beforeSeq: 2 })),
  r('admin', 'GET', '/admin/alerts', 'metrics', at('/admin/alerts')),
  r('admin', 'GET', '/admin/alerts/history', 'metrics', at('/admin/alerts/history')),
  r('admin', 'GET', '/admin/alerts/history/:id/notifications', 'metrics', at('/admin/alerts/history/1/notifications')),
  r('admin', 'GET', '/admin/alerts/rules', 'metrics', at('/admin/alerts/rules')),
  r('admin', 'PUT', '/admin/alerts/rules/:name', 'deploy', at('/admin/alerts/rules/matrix_rule', {})),
  r('admin', 'DELETE', '/admin/alerts/rules/:name', 'deploy', at('/admin/alerts/rules/matrix_rule')),
  r('admin', 'GET', '/admin/extraction', 'audit', at('/admin/extraction')),
  r('admin', 'DELETE', '/admin/models/:model/extraction/:principal', 'admin', m((x) => `/admin/models/${x}/extraction/key%3Aaaaaaaaaaaaa`)),
  r('admin', 'POST', '/admin/keys', 'admin', at('/admin/keys', { name: 'made-by-matrix', roles: ['viewer'] })),
  r('admin', 'GET', '/admin/keys', 'admin', at('/admin/keys')),
  r('admin', 'GET', '/admin/keys/:id', 'admin', at('/admin/keys/aaaaaaaaaaaa')),
  r('admin', 'DELETE', '/admin/keys/:id', 'admin', at('/admin/keys/aaaaaaaaaaaa')),
  r('admin', 'GET', '/admin/endpoints', 'read', at('/admin/endpoints')),
  r('admin', 'GET', '/admin/endpoints/:name', 'read', m((x) => `/admin/endpoints/${x}`), true),
  r('admin', 'PUT', '/admin/endpoints/:name', 'deploy', m((x) => `/admin/endpoints/${x}`, { policy: {} }), true),
  r('admin', 'GET', '/admin/endpoints/:name/rollouts', 'read', m((x) => `/admin/endpoints/${x}/rollouts`), true),
  r('admin', 'GET', '/admin/endpoints/:name/history', 'read', m((x) => `/admin/endpoints/${x}/history`), true),
  r('admin', 'POST', '/admin/endpoints/:name/rollout/pause', 'deploy', m((x) => `/admin/endpoints/${x}/rollout/pause`, {}), true),
  r('admin', 'POST', '/admin/endpoints/:name/rollout/resume', 'deploy', m((x) => `/admin/endpoints/${x}/rollout/resume`, {}), true),
  r('admin', 'POST', '/admin/endpoints/:name/rollout/abort', 'deploy', m((x) => `/admin/endpoints/${x}/rollout/abort`, {}), true),
  r('admin', 'POST', '/admin/endpoints/:name/canary', 'deploy', m((x) => `/admin/endpoints/${x}/canary`, { candidate: '9' }), true),
  r('admin', 'POST', '/admin/endpoints/:name/switch', 'deploy', m((x) => `/admin/endpoints/${x}/switch`, {}), true),
  r('admin', 'POST', '/admin/endpoints/:name/shadow', 'deploy', m((x) => `/admin/endpoints/${x}/shadow`, { shadow: '9' }), true),
  r('admin', 'DELETE', '/admin/endpoints/:name/shadow', 'deploy', m((x) => `/admin/endpoints/${x}/shadow`), true),
  r('admin', 'POST', '/admin/endpoints/:name/experiment', 'deploy', m((x) => `/admin/endpoints/${x}/experiment`, { variants: [{ name: 'a', version: '9', weight: 1 }, { name: 'b', version: '9', weight: 1 }] }), true),
  r('admin', 'GET', '/admin/endpoints/:name/experiment', 'read', m((x) => `/admin/endpoints/${x}/experiment`), true),
  r('admin', 'DELETE', '/admin/endpoints/:name/experiment', 'deploy', m((x) => `/admin/endpoints/${x}/experiment`), true),
];

/** `METHOD /path` for every route Fastify has, parsed from printRoutes' tree. HEAD is Fastify's copy of GET (same hooks and handler). */
function routesOf(app: FastifyInstance): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const found = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (!found) continue;
    const level = found[1].length / 4;
    const path = (stack[level - 1] ?? '') + found[2];
    stack[level] = path;
    stack.length = level + 1;
    for (const method of found[3]?.split(', ') ?? []) if (method !== 'HEAD') out.push(`${method} ${path}`);
  }
  return out.sort();
}

let t: TestServer;
const keys = {} as Record<Role, string>;

before(async () => {
  const signer = makeSigner();
  // The matrix sends many requests from each key: rate limits would only add noise, and the extraction
  // detector (on, so that its routes exist) only alerts.
  const settings = join(tempDir(), 'modelgate.json');
  writeFileSync(settings, JSON.stringify({ extraction: { actions: [{ at: 'suspect', do: 'alert' }] } }));
  t = await testServer(undefined, trusting(signer, { rateLimitsEnabled: false }), settings);
  const manifest = (name: string) => ({ name, version: '1', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }] });
  for (const name of [IN_SCOPE, OTHER]) {
    pkg = await packageOf(signer, offsetModel(1), manifest(name));
    const up = await t.server.admin.inject({ method: 'POST', url: '/admin/packages', payload: pkg, headers: { ...t.auth, 'content-type': 'application/octet-stream' } });
    assert.equal(up.statusCode, 201, up.body);
    const promoted = await t.server.admin.inject({ method: 'POST', url: `/admin/models/${name}/versions/1/promote`, payload: {}, headers: t.auth });
    assert.equal(promoted.statusCode, 200, promoted.body);
  }
  for (const role of ROLES) {
    const res = await t.server.admin.inject({
      method: 'POST', url: '/admin/keys', headers: t.auth,
      payload: { name: `matrix-${role}`, roles: [role], ...(SCOPED.includes(role) && { models: [IN_SCOPE] }) },
    });
    assert.equal(res.statusCode, 201, res.body);
    keys[role] = res.json().key;
  }
});
after(() => t.close());

test('the matrix describes every route of both planes, and only routes that exist', async () => {
  for (const plane of ['inference', 'admin'] as const) {
    await t.server[plane].ready();
    const actual = routesOf(t.server[plane]);
    const described = RULES.filter((x) => x.plane === plane).map((x) => `${x.method} ${x.route}`).sort();
    assert.ok(actual.length > 5, `routes were found on the ${plane} plane: ${actual}`);
    assert.deepEqual(actual.filter((x) => !described.includes(x)), [], `${plane} routes missing from the roles matrix: decide who may call them`);
    assert.deepEqual(described.filter((x) => !actual.includes(x)), [], `${plane} routes in the matrix that no longer exist`);
  }
});

async function send(rule: Rule, model: string, credential?: string) {
  const c = rule.call(model);
  return t.server[rule.plane].inject({
    method: rule.method,
    url: c.url,
    ...(c.payload !== undefined && { payload: c.payload as Buffer }),
    headers: { ...(credential && { authorization: `Bearer ${credential}` }), ...(c.contentType && { 'content-type': c.contentType }) },
  });
}

test('every route x every role: allowed is neither 401 nor 403, denied is 403, no credential is 401', async () => {
  const wrong: string[] = [];
  for (const rule of RULES) {
    const name = `${rule.plane} ${rule.method} ${rule.route}`;
    const anonymous = await send(rule, IN_SCOPE);
    const anonOk = rule.need === 'public' ? anonymous.statusCode === 200 : anonymous.statusCode === 401;
    if (!anonOk) wrong.push(`${name} without a credential: ${anonymous.statusCode} ${anonymous.body.slice(0, 120)}`);
    if (rule.need === 'public') continue;
    for (const role of ROLES) {
      const needs: readonly Action[] = typeof rule.need === 'string' ? [rule.need as Action] : rule.need;
      const allowed = rule.need === 'any' || needs.some((a) => GRANTED[role].includes(a));
      const res = await send(rule, IN_SCOPE, keys[role]);
      const ok = allowed ? ![401, 403].includes(res.statusCode) && res.statusCode < 500 : res.statusCode === 403;
      if (!ok) wrong.push(`${name} as ${role}: ${res.statusCode}, expected ${allowed ? 'allowed' : '403'} (${res.body.slice(0, 120)})`);
      // A scoped role: the same call on a model outside its scope is refused.
      if (allowed && rule.scoped && SCOPED.includes(role)) {
        const outside = await send(rule, OTHER, keys[role]);
        if (outside.statusCode !== 403) wrong.push(`${name} as ${role} on '${OTHER}' (outside its scope): ${outside.statusCode}, expected 403 (${outside.body.slice(0, 120)})`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});

test('a scoped predictor or labeller lists only the models of its scope; unscoped roles list them all', async () => {
  const names = async (credential: string) =>
    (await t.server.admin.inject({ url: '/admin/models', headers: { authorization: `Bearer ${credential}` } })).json().models.map((x: { name: string }) => x.name).sort();
  assert.deepEqual(await names(keys.predictor), [IN_SCOPE]);
  assert.deepEqual(await names(keys.labeller), [IN_SCOPE]);
  for (const role of ['admin', 'viewer', 'deployer'] as const) assert.deepEqual(await names(keys[role]), [IN_SCOPE, OTHER], role);
});

test('the bootstrap admin credential may call every route', async () => {
  const refused: string[] = [];
  for (const rule of RULES.filter((x) => x.need !== 'public')) {
    const res = await send(rule, OTHER, t.token);
    if ([401, 403].includes(res.statusCode) || res.statusCode >= 500) refused.push(`${rule.method} ${rule.route}: ${res.statusCode} ${res.body.slice(0, 120)}`);
  }
  assert.deepEqual(refused, []);
});
