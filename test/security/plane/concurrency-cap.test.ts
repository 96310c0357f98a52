// The per-principal concurrency cap of the guards: a principal past its cap gets 429 at once while
// another principal is still served, and slots come back as requests finish.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { createErrorHandler } from '../../../src/http/errors.ts';
import { installGuards } from '../../../src/http/guards.ts';
import type { Principal } from '../../../src/security/index.ts';

const principals: Record<string, Principal> = {
  a: { id: 'key:a', kind: 'api-key', roles: ['predictor'], models: ['m'] },
  b: { id: 'key:b', kind: 'api-key', roles: ['predictor'], models: ['m'] },
};

function app(cap: number, rejected: string[]): { app: FastifyInstance; release: () => void; held: (n: number) => Promise<void> } {
  const a = Fastify();
  let open: (() => void)[] = [];
  a.setErrorHandler(createErrorHandler());
  installGuards(a, {
    authenticate: (c) => (c ? principals[c] : undefined),
    maxInFlight: 100,
    maxEventLoopDelayMs: 0,
    maxInFlightPerPrincipal: cap,
    onRejected: async (req, status, code) => void rejected.push(`${req.principal?.id} ${status} ${code}`),
  });
  a.get('/slow', async () => {
    await new Promise<void>((resolve) => open.push(resolve));
    return { ok: true };
  });
  a.get('/v2/health/live', { config: { public: true } }, async () => ({ live: true }));
  const release = () => {
    const waiting = open;
    open = [];
    for (const r of waiting) r();
  };
  // Waits (without a clock) until n handlers are holding their requests open.
  const held = async (n: number) => {
    while (open.length < n) await new Promise((r) => setImmediate(r));
  };
  return { app: a, release, held };
}

const as = (who: string) => ({ authorization: `Bearer ${who}` });

test('past its cap a principal gets 429 with Retry-After; others and health checks are served', async (t) => {
  const rejected: string[] = [];
  const { app: a, release, held: holding } = app(2, rejected);
  t.after(() => a.close());
  const held = [a.inject({ url: '/slow', headers: as('a') }), a.inject({ url: '/slow', headers: as('a') })];
  await holding(2);
  const over = await a.inject({ url: '/slow', headers: as('a') });
  assert.equal(over.statusCode, 429);
  assert.equal(over.headers['retry-after'], '1');
  assert.deepEqual(over.json(), { error: "'key:a' already has 2 requests in flight; retry when one finishes" });
  assert.deepEqual(rejected, ['key:a 429 MG_RATE_LIMITED']);
  assert.equal((await a.inject({ url: '/v2/health/live' })).statusCode, 200);
  const other = a.inject({ url: '/slow', headers: as('b') });
  await holding(3);
  release();
  assert.deepEqual((await Promise.all([...held, other])).map((r) => r.statusCode), [200, 200, 200]);
  // Slots are given back when the requests finish.
  const again = a.inject({ url: '/slow', headers: as('a') });
  await holding(1);
  release();
  assert.equal((await again).statusCode, 200);
});

test('a cap of 0 means no cap', async (t) => {
  const { app: a, release, held } = app(0, []);
  t.after(() => a.close());
  const many = Array.from({ length: 20 }, () => a.inject({ url: '/slow', headers: as('a') }));
  await held(20);
  release();
  assert.deepEqual(new Set((await Promise.all(many)).map((r) => r.statusCode)), new Set([200]));
});
