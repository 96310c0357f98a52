// The key routes through Fastify inject, on an app built like the admin plane (the project's error
// handler, the same ajv options) with a guard that awaits the combined authenticator; then the
// `modelgate keys` CLI against the same app over a real socket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { columns } from '../../src/cli/admin-client.ts';
import { keysCommand, parseExpiry } from '../../src/cli/keys.ts';
import * as httpErrors from '../../src/http/errors.ts';
import '../../src/http/guards.ts'; // the request.principal declaration
import { keyRoutes, KEY_WARNING } from '../../src/http/key-routes.ts';
import { bootstrapAuthenticator, credentialFrom } from '../../src/security/index.ts';
import { ApiKeyService, createAuthenticator, parseKey } from '../../src/security/identity/index.ts';
import type { Store } from '../../src/store/index.ts';
import { sqliteTarget } from '../store/targets.ts';

// The project's error handler, whether errors.ts exports it ready-made or as a factory (the file is
// being reworked alongside this one).
type Handler = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => unknown;
const errorsModule = httpErrors as unknown as { errorHandler?: Handler; createErrorHandler?: () => Handler };
const projectErrorHandler: Handler = errorsModule.createErrorHandler?.() ?? errorsModule.errorHandler!;
const { sendError } = httpErrors;

const ADMIN = `mg_admin_${'a'.repeat(43)}`;
const target = sqliteTarget();
let store: Store;
let keys: ApiKeyService;
let app: FastifyInstance;

function buildApp(): FastifyInstance {
  const a = Fastify({ ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, allowUnionTypes: true } } });
  a.setErrorHandler(projectErrorHandler);
  const authenticate = createAuthenticator({
    bootstrap: bootstrapAuthenticator({ source: 'test', created: false, digest: createHash('sha256').update(ADMIN).digest() }),
    apiKeys: keys,
  });
  a.decorateRequest('principal', undefined);
  a.addHook('onRequest', async (req, reply) => {
    const h = (n: string) => (Array.isArray(req.headers[n]) ? req.headers[n]![0] : (req.headers[n] as string | undefined));
    const principal = await authenticate(credentialFrom(h('authorization'), h('x-api-key')));
    if (!principal) return sendError(reply, 401, 'the credential is not valid');
    req.principal = principal;
  });
  keyRoutes(a, { apiKeys: keys });
  return a;
}

before(async () => {
  store = await target.open();
  keys = new ApiKeyService(store);
  app = buildApp();
});
after(async () => {
  await app.close();
  await store.close();
  await target.cleanup();
});

const as = (credential: string) => ({ authorization: `Bearer ${credential}` });
const post = (body: unknown, credential = ADMIN) => app.inject({ method: 'POST', url: '/admin/keys', payload: body as object, headers: as(credential) });

test('POST /admin/keys: 201 with the key once, no-store, and a record without secrets', async () => {
  const res = await post({ name: 'ci', roles: ['predictor'], models: ['spam-filter'], expiresAt: '2999-01-01T00:00:00Z' });
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(res.headers['cache-control'], 'no-store');
  const body = res.json();
  assert.equal(body.warning, KEY_WARNING);
  assert.equal(parseKey(body.key)?.id, body.record.id);
  assert.deepEqual(Object.keys(body.record).sort(), ['createdAt', 'createdBy', 'expiresAt', 'id', 'lastUsedAt', 'models', 'name', 'revokedAt', 'revokedBy', 'roles', 'status']);
  assert.deepEqual([body.record.createdBy, body.record.models, body.record.expiresAt], ['bootstrap-admin', ['spam-filter'], '2999-01-01T00:00:00.000Z']);

  // The new key authenticates, but a predictor may not manage keys.
  const asPredictor = await app.inject({ method: 'GET', url: '/admin/keys', headers: { 'x-api-key': body.key } });
  assert.equal(asPredictor.statusCode, 403);
  assert.equal(asPredictor.json().error, `'key:${body.record.id}' may not administer this server`);
});

test('only an admin manages keys: no credential 401, a wrong one 401, a deployer 403', async () => {
  assert.equal((await app.inject({ method: 'GET', url: '/admin/keys' })).statusCode, 401);
  assert.equal((await app.inject({ method: 'GET', url: '/admin/keys', headers: as('mg_aaaaaaaaaaaa_' + 'b'.repeat(43)) })).statusCode, 401);
  const deployer = (await post({ name: 'd', roles: ['deployer'] })).json().key as string;
  assert.equal((await post({ name: 'x', roles: ['admin'] }, deployer)).statusCode, 403, 'no escalation through key creation');
  assert.equal((await app.inject({ method: 'DELETE', url: '/admin/keys/aaaaaaaaaaaa', headers: as(deployer) })).statusCode, 403);
  // A key created with the admin role can itself manage keys.
  const admin = (await post({ name: 'second admin', roles: ['admin'] })).json().key as string;
  assert.equal((await app.inject({ method: 'GET', url: '/admin/keys', headers: as(admin) })).statusCode, 200);
});

test('bodies are validated: roles, unknown fields, predictor and labeller scope, expiry', async () => {
  const cases: [unknown, RegExp][] = [
    [{ name: 'x', roles: ['root'] }, /roles\/0 must be equal to one of the allowed values/],
    [{ name: 'x', roles: [] }, /roles must NOT have fewer than 1 items/],
    [{ name: 'x', roles: ['viewer'], secret: 'mine' }, /must NOT have additional properties/],
    [{ roles: ['viewer'] }, /must have required property 'name'/],
    [{ name: 'x', roles: ['predictor'] }, /predictor needs a model scope.*\['\*'\]/],
    [{ name: 'x', roles: ['labeller', 'viewer'] }, /labeller needs a model scope.*\['\*'\]/],
    [{ name: 'x', roles: ['predictor'], models: ['../x'] }, /models\/0 must match pattern/],
    [{ name: 'x', roles: ['viewer'], expiresAt: '2001-01-01T00:00:00Z' }, /expiresAt is in the past/],
    [{ name: 'x', roles: ['admin'], models: ['m'] }, /admin is not limited by models/],
  ];
  for (const [body, message] of cases) {
    const res = await post(body);
    assert.equal(res.statusCode, 400, JSON.stringify(body));
    assert.match(res.json().error, message);
  }
  const all = await post({ name: 'everything', roles: ['predictor'], models: ['*'] });
  assert.equal(all.statusCode, 201);
  assert.deepEqual(all.json().record.models, ['*']);
});

test('GET lists and reads keys without secrets or hashes; DELETE revokes at once', async () => {
  const created = (await post({ name: 'to-revoke', roles: ['viewer'] })).json();
  const list = await app.inject({ method: 'GET', url: '/admin/keys', headers: as(ADMIN) });
  assert.equal(list.statusCode, 200);
  assert.ok(list.json().keys.some((k: { id: string }) => k.id === created.record.id));
  assert.ok(!list.body.includes('scrypt') && !list.body.includes(parseKey(created.key)!.secret));

  const one = await app.inject({ method: 'GET', url: `/admin/keys/${created.record.id}`, headers: as(ADMIN) });
  assert.deepEqual(one.json().key.name, 'to-revoke');
  assert.equal((await app.inject({ method: 'GET', url: '/admin/keys/aaaaaaaaaaaa', headers: as(ADMIN) })).statusCode, 404);
  assert.equal((await app.inject({ method: 'GET', url: '/admin/keys/NOT-AN-ID', headers: as(ADMIN) })).statusCode, 400);

  // In use (and so cached), then revoked: the next request with it is refused.
  assert.equal((await app.inject({ method: 'GET', url: '/admin/keys', headers: as(created.key) })).statusCode, 403);
  const revoked = await app.inject({ method: 'DELETE', url: `/admin/keys/${created.record.id}`, headers: as(ADMIN) });
  assert.equal(revoked.statusCode, 200);
  assert.deepEqual([revoked.json().key.status, revoked.json().key.revokedBy], ['revoked', 'bootstrap-admin']);
  assert.equal((await app.inject({ method: 'GET', url: '/admin/keys', headers: as(created.key) })).statusCode, 401);
  assert.equal((await app.inject({ method: 'DELETE', url: '/admin/keys/aaaaaaaaaaaa', headers: as(ADMIN) })).statusCode, 404);
});

test('the keys CLI over a real socket: create prints the key alone on stdout, list and revoke', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mg-keys-cli-'));
  const served = buildApp();
  try {
    const url = await served.listen({ port: 0, host: '127.0.0.1' });
    const tokenFile = join(dir, 'admin.token');
    writeFileSync(tokenFile, `${ADMIN}\n`, { mode: 0o600 });
    const run = async (...args: string[]) => {
      const io = { stdout: '', stderr: '' };
      const cmd = keysCommand({ out: (t) => void (io.stdout += t), err: (t) => void (io.stderr += t) });
      await cmd.parseAsync([...args, '--admin-url', url, '--token-file', tokenFile], { from: 'user' });
      return io;
    };
    const created = await run('create', '--name', 'ci', '--role', 'predictor', '--model', 'spam-filter', '--model', 'fraud', '--expires', '30d');
    const key = created.stdout.trim();
    assert.ok(parseKey(key), 'stdout is the key and nothing else');
    assert.match(created.stderr, /Store this key now/);
    assert.match(created.stderr, /models fraud,spam-filter/);
    assert.ok(!created.stderr.includes(key), 'the warning does not repeat the key');
    const id = parseKey(key)!.id;
    assert.ok(await keys.authenticate(key));

    const listed = await run('list');
    assert.match(listed.stdout, /^ID +NAME +ROLES/);
    assert.match(listed.stdout, new RegExp(`${id} +ci +predictor +fraud,spam-filter +active`));
    assert.ok(!listed.stdout.includes(parseKey(key)!.secret));

    assert.match((await run('revoke', id)).stdout, new RegExp(`revoked ${id} \\(ci\\)`));
    assert.equal(await keys.authenticate(key), undefined);
    await assert.rejects(run('create', '--name', 'p', '--role', 'predictor'), { code: 'MG_INVALID_REQUEST', message: /400: .*model scope/ });
  } finally {
    await served.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI tables show control characters escaped, never raw to the terminal', () => {
  assert.equal(columns([['ID', 'NAME'], ['k1', 'evil\u001b[2J\u0007']]), 'ID  NAME\nk1  evil\\u001b[2J\\u0007\n');
});

test('--expires takes durations or ISO dates', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  assert.equal(parseExpiry('30d', now), '2030-01-31T00:00:00.000Z');
  assert.equal(parseExpiry('12h', now), '2030-01-01T12:00:00.000Z');
  assert.equal(parseExpiry('2031-06-01', now), '2031-06-01T00:00:00.000Z');
  assert.throws(() => parseExpiry('soon', now), { code: 'MG_INVALID_REQUEST' });
});
