// Security headers on every response of both planes (answers, refusals, 404s, health checks), and
// internal errors answered without a stack, a file path or the underlying message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { SECURITY_HEADERS } from '../../../src/http/security-headers.ts';
import { ELEM, identityModel, writeModel } from '../../fixtures/onnx.ts';
import { tempDir, testServer } from '../../fixtures/server.ts';

function assertHeaders(res: LightMyRequestResponse, what: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(res.headers[name], value, `${what}: ${name}`);
  assert.equal(res.headers['cache-control'], 'no-store', `${what}: cache-control`);
  assert.equal(res.headers['strict-transport-security'], undefined, `${what}: no HSTS over plain HTTP`);
}

test('both planes send the security headers on answers, refusals, errors and health checks', async (t) => {
  const repo = tempDir();
  writeModel(repo, 'id', '1', identityModel(ELEM.FP32));
  const s = await testServer(repo);
  t.after(() => s.close());
  const { inference, admin } = s.server;
  const body = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] };
  const cases: [string, Promise<LightMyRequestResponse>, number][] = [
    ['live', inference.inject({ url: '/v2/health/live' }), 200],
    ['ready', inference.inject({ url: '/v2/health/ready' }), 200],
    ['infer', inference.inject({ method: 'POST', url: '/v2/models/id/infer', payload: body, headers: s.auth }), 200],
    ['no credential', inference.inject({ method: 'POST', url: '/v2/models/id/infer', payload: body }), 401],
    ['bad body', inference.inject({ method: 'POST', url: '/v2/models/id/infer', payload: { inputs: 3 }, headers: s.auth }), 400],
    ['unknown route', inference.inject({ url: '/nope', headers: s.auth }), 404],
    ['admin live', admin.inject({ url: '/v2/health/live' }), 200],
    ['admin models', admin.inject({ url: '/admin/models', headers: s.auth }), 200],
    ['metrics', admin.inject({ url: '/metrics', headers: s.auth }), 200],
    ['admin no credential', admin.inject({ url: '/admin/keys' }), 401],
    ['admin unknown', admin.inject({ url: '/admin/nope', headers: s.auth }), 404],
  ];
  for (const [what, pending, status] of cases) {
    const res = await pending;
    assert.equal(res.statusCode, status, `${what}: ${res.body}`);
    assertHeaders(res, what);
  }
  // A created key is the one response that must never be cached anywhere.
  const key = await admin.inject({ method: 'POST', url: '/admin/keys', payload: { name: 'h', roles: ['viewer'] }, headers: s.auth });
  assert.equal(key.statusCode, 201);
  assertHeaders(key, 'create key');
});

test('internal errors answer 500 with a request id only: no stack, no path, no driver message', async (t) => {
  const s = await testServer(undefined);
  t.after(() => s.close().catch(() => undefined));
  // A route that fails the way a bug would, with a path and a secret-looking value in its message.
  s.server.admin.get('/test/boom', async () => {
    throw new Error(`ENOENT: open '/var/lib/modelgate/secret.key' token=hunter2`);
  });
  s.server.admin.get('/test/boom-type', async () => (undefined as unknown as { x: { y: number } }).x.y);
  const leaks = /\bat \S+ \(|\/var\/lib|\/work\/|node_modules|\.ts:\d+|hunter2|ENOENT|TypeError|sqlite|database|stack/i;
  const check = (res: LightMyRequestResponse, what: string) => {
    assert.equal(res.statusCode, 500, `${what}: ${res.body}`);
    assert.deepEqual(Object.keys(res.json()), ['error'], what);
    assert.match(res.json().error, /^internal error \(request id [0-9a-f-]{36}\)$/, what);
    assert.equal(res.json().error.includes(String(res.headers['x-request-id'])), true, `${what}: the id is the response's`);
    assert.doesNotMatch(res.body, leaks, what);
    assertHeaders(res, what);
  };
  check(await s.server.admin.inject({ url: '/test/boom', headers: s.auth }), 'thrown error');
  check(await s.server.admin.inject({ url: '/test/boom-type', headers: s.auth }), 'type error');
  // The database going away under a route: the driver's message stays in the log.
  await s.server.store.close();
  check(await s.server.admin.inject({ url: '/admin/models', headers: s.auth }), 'closed store, registry');
  check(await s.server.admin.inject({ url: '/admin/keys', headers: s.auth }), 'closed store, keys');
});
