// /v2/health/ready over HTTP on both planes: 503 once shutdown begins and while the store cannot be
// reached, 200 otherwise; liveness stays 200 throughout (a load balancer stops sending, nothing restarts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { addModel, writeModel } from '../fixtures/onnx.ts';
import { tempDir, testServer, type TestServer } from '../fixtures/server.ts';
import { DATABASE_URL, postgresTarget } from '../store/targets.ts';

const repo = tempDir();
writeModel(repo, 'add', '1', addModel());

const ready = (app: FastifyInstance) => app.inject({ method: 'GET', url: '/v2/health/ready' });
const live = (app: FastifyInstance) => app.inject({ method: 'GET', url: '/v2/health/live' });
const planes = (s: TestServer) => [s.server.inference, s.server.admin];
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function assertReady(s: TestServer): Promise<void> {
  for (const app of planes(s)) {
    const res = await ready(app);
    assert.deepEqual([res.statusCode, res.json()], [200, { ready: true }]);
  }
}

/** Probes until readiness answers `status` (the store check keeps its answer for a second). */
async function untilReadiness(s: TestServer, status: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await ready(s.server.inference)).statusCode === status) return;
    await pause(50);
  }
  assert.fail(`readiness never answered ${status}`);
}

test('once shutdown begins readiness answers 503 {ready:false} on both planes, liveness 200, new inferences 503', async (t) => {
  const s = await testServer(repo);
  t.after(() => s.close());
  await assertReady(s);
  s.server.dataplane.beginDrain(); // the first step of Server.close()
  for (const app of planes(s)) {
    const res = await ready(app);
    assert.deepEqual([res.statusCode, res.json()], [503, { ready: false }]);
    assert.equal((await live(app)).statusCode, 200);
  }
  const refused = await s.server.inference.inject({
    method: 'POST', url: '/v2/models/add/infer', headers: s.auth,
    payload: { inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }, { name: 'b', datatype: 'FP32', shape: [1, 3], data: [1, 1, 1] }] },
  });
  assert.deepEqual([refused.statusCode, refused.headers['retry-after'], refused.json()], [503, '1', { error: 'the server is shutting down' }]);
});

/** A TCP relay to PostgreSQL that can be cut (listener closed, every connection dropped) and restored. */
function relay(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: TcpServer | undefined;
  let port = 0;
  const open = () => new Promise<number>((resolve, reject) => {
    if (server?.listening) return resolve(port);
    server = createTcpServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const sock of [client, upstream]) {
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
        sock.on('error', () => sock.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((port = (server!.address() as { port: number }).port)));
  });
  const cut = () => new Promise<void>((resolve) => {
    if (!server?.listening) return resolve();
    server.close(() => resolve());
    for (const sock of sockets) sock.destroy();
  });
  return { open, cut };
}

test('while PostgreSQL cannot be reached readiness answers 503 on both planes; once it can, 200 again', async (t) => {
  const target = postgresTarget();
  let s: TestServer | undefined;
  const upstream = new URL(DATABASE_URL);
  const proxy = relay({ host: upstream.hostname, port: Number(upstream.port || 5432) });
  t.after(async () => {
    await proxy.open(); // so the server closes its pool cleanly
    await s?.close();
    await proxy.cut();
    await target.cleanup();
  });
  const port = await proxy.open();
  const viaProxy = new URL(DATABASE_URL);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(port);
  const schema = target.options.kind === 'postgres' ? target.options.schema : undefined;
  s = await testServer(repo, { databaseUrl: viaProxy.toString(), databaseSchema: schema, rolloutTickMs: 0 });
  const server = s;
  await assertReady(server);

  await proxy.cut();
  await untilReadiness(server, 503);
  for (const app of planes(server)) {
    const res = await ready(app);
    assert.deepEqual([res.statusCode, res.json()], [503, { ready: false }]);
    assert.equal((await live(app)).statusCode, 200, 'liveness does not depend on the store');
  }

  await proxy.open();
  await untilReadiness(server, 200);
  await assertReady(server);
});
