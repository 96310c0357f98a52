// Shipping safely through the real server: canaries that pass and that fail, blue/green, shadow,
// sticky A/B with feedback, and no failed client request across the transitions.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { flakyThresholdModel, slowThresholdModel, thresholdModel } from '../fixtures/onnx.ts';
import { makeSigner, packageOf, trusting } from '../fixtures/packages.ts';
import { testServer, type TestServer } from '../fixtures/server.ts';
import { waitFor } from '../fixtures/wait.ts';

const manifest = (version: string) => ({
  name: 'guard', version, labels: ['low', 'high'],
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }],
  predict: { probabilities: 'probabilities' },
});
let t: TestServer;

before(async () => {
  const signer = makeSigner();
  // One principal sends everything here: rate limits and the extraction detector have their own tests.
  t = await testServer(undefined, trusting(signer, { rolloutTickMs: 0, rateLimitsEnabled: false, extractionEnabled: false }));
  const versions: [string, Uint8Array][] = [
    ['1', thresholdModel(0.5)], ['2', thresholdModel(0.5)], ['3', thresholdModel(10)], ['4', flakyThresholdModel(0.5)], ['5', slowThresholdModel(0.5, 3000)],
  ];
  for (const [v, model] of versions) {
    const res = await t.server.admin.inject({ method: 'POST', url: '/admin/packages', payload: await packageOf(signer, model, manifest(v)), headers: { ...t.auth, 'content-type': 'application/octet-stream' } });
    assert.equal(res.statusCode, 201, res.body);
  }
  await admin('POST', '/admin/models/guard/versions/1/promote', {});
});
after(() => t.close());

function admin(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
  return t.server.admin.inject({ method, url, payload: payload as object, headers: t.auth });
}

interface Decision { action: string; reason?: string; before: unknown; after: { kind: string; version?: string } }
async function decisions(): Promise<Decision[]> {
  const records = (await admin('GET', '/admin/audit/records?kind=decision&flag=rollout&limit=1000')).json().records as { detail_json: string }[];
  return records.map((r) => JSON.parse(r.detail_json) as Decision);
}

let seq = 0;
/** One request; x cycles through [0, 1.2) so a flaky candidate fails on about a sixth of them. */
async function predict(headers: Record<string, string> = {}) {
  const x = ((seq++ * 7) % 12) / 10;
  const res = await t.server.inference.inject({ method: 'POST', url: '/v1/models/guard/predict', payload: { inputs: { x: [x] } }, headers: { ...t.auth, ...headers } });
  return { status: res.statusCode, version: String(res.headers['x-model-version']), body: res.json() as { prediction: string; requestId: string } };
}

async function traffic(n: number, concurrency = 8) {
  const out: Awaited<ReturnType<typeof predict>>[] = [];
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (out.length < n) out.push(await predict());
  }));
  return out;
}

// Latency is left out of these verdicts (a p99 taken while other test files load the machine is
// noise); the routing library's own tests cover the latency check.
const canary = { steps: [20, 50, 100], bakeMs: 0, minRequests: 25, thresholds: { maxP99Ratio: 1000, minP99DeltaMs: 60_000 } };

/** Sends traffic and lets the controller judge, until the rollout ends (or steps run out). */
async function driveCanary(): Promise<string> {
  for (let step = 0; step < 12; step++) {
    await traffic(200);
    await t.server.rollouts.tick();
    const s = (await admin('GET', '/admin/endpoints/guard')).json();
    if (s.rollout && s.rollout.state !== 'running') return s.rollout.state;
  }
  return 'still running';
}

test('a good canary advances through every step and is promoted to production', async () => {
  const start = await admin('POST', '/admin/endpoints/guard/canary', { candidate: '2', config: canary, reason: 'retrained' });
  assert.equal(start.statusCode, 200, start.body);
  const state = await driveCanary();
  const history = async () => (await admin('GET', '/admin/endpoints/guard/history')).json().events;
  assert.equal(state, 'succeeded', JSON.stringify((await history()).slice(0, 3)));
  assert.equal((await admin('GET', '/admin/models/guard')).json().productionVersion, '2');
  const events = (await admin('GET', '/admin/endpoints/guard/history')).json().events.map((e: { action: string }) => e.action);
  assert.ok(events.filter((a: string) => a === 'advance').length >= 2, `every step advanced: ${events}`);
  assert.ok(events.includes('promote'));
  const after = await traffic(50);
  assert.ok(after.every((r) => r.status === 200 && r.version === '2'));
  // The audit record of each request says which arm answered it.
  const records = (await admin('GET', '/admin/audit/records?model=guard&kind=inference&limit=1000')).json().records as { version: string; route: string }[];
  const pairs = new Set(records.map((r) => `${r.version}:${r.route}`));
  assert.ok(pairs.has('1:stable') && pairs.has('2:candidate'), [...pairs].join(' '));
  assert.deepEqual([...pairs].filter((p) => !['1:stable', '2:candidate', '2:primary'].includes(p)), [], 'no version under another arm');
  const [promoted] = (await admin('GET', `/admin/audit/records?requestId=${after[0].body.requestId}`)).json().records;
  assert.deepEqual([promoted.version, promoted.route], ['2', 'primary']);
  // The controller's own decisions are in the audit log, with their reasons (written as they are made,
  // without holding the tick: wait for the promotion's record).
  await waitFor(async () => (await decisions()).find((d) => d.action === 'rollout-promote'), 'the promotion\'s audit record');
  const made = (await admin('GET', '/admin/audit/records?kind=decision&flag=rollout')).json().records as { principal: string; endpoint: string }[];
  assert.ok(made.every((d) => d.principal === 'rollout-controller' && d.endpoint === 'guard'));
  const actions = await decisions();
  assert.deepEqual([...new Set(actions.map((a) => a.action))].sort(), ['rollout-advance', 'rollout-promote']);
  assert.ok(actions.every((a) => /analysis passed/.test(a.reason ?? '')), JSON.stringify(actions[0]));
  assert.deepEqual(actions.at(-1)?.after, { kind: 'single', version: '2' });
});

test('a candidate that answers differently is rolled back at once, and then gets no request', async () => {
  await admin('POST', '/admin/endpoints/guard/canary', { candidate: '3', config: canary });
  assert.equal(await driveCanary(), 'rolled_back');
  const rollback = (await admin('GET', '/admin/endpoints/guard/history')).json().events.find((e: { action: string }) => e.action === 'rollback');
  assert.match(rollback.reason, /disagree|label/i);
  // The decision is audited as the controller makes it, without holding the tick: wait for the record.
  const rolledBack = await waitFor(async () => (await decisions()).find((d) => d.action === 'rollout-rollback'), 'the rollback\'s audit record');
  assert.equal(rolledBack?.reason, rollback.reason, 'the audit log holds the rollback with the same reason');
  assert.equal(rolledBack.after.kind, 'single');
  assert.notEqual(rolledBack.after.version, '3', 'back on the stable version');
  const after = await traffic(500);
  assert.deepEqual([...new Set(after.map((r) => r.version))], ['2'], 'no request reaches the rolled-back candidate');
});

test('a candidate that errors on some inputs is rolled back on its error rate', async () => {
  await admin('POST', '/admin/endpoints/guard/canary', { candidate: '4', config: canary });
  assert.equal(await driveCanary(), 'rolled_back');
  const rollback = (await admin('GET', '/admin/endpoints/guard/history')).json().events.find((e: { action: string }) => e.action === 'rollback');
  assert.match(rollback.reason, /error/i);
  const after = await traffic(300);
  assert.ok(after.every((r) => r.status === 200 && r.version === '2'), 'clients only see the stable version again');
});

test('blue/green: one switch moves all traffic, switching back is instant', async () => {
  assert.equal((await admin('PUT', '/admin/endpoints/guard', { policy: { kind: 'blue-green', blue: '2', green: '1', active: 'blue' } })).statusCode, 200);
  assert.deepEqual([...new Set((await traffic(100)).map((r) => r.version))], ['2']);
  await admin('POST', '/admin/endpoints/guard/switch', { reason: 'release' });
  assert.deepEqual([...new Set((await traffic(100)).map((r) => r.version))], ['1']);
  await admin('POST', '/admin/endpoints/guard/switch', { to: 'blue' });
  assert.deepEqual([...new Set((await traffic(100)).map((r) => r.version))], ['2']);
});

test('shadow: a slow and a failing shadow never change what the client sees; agreement and errors are recorded', async () => {
  const before = (await admin('GET', '/admin/endpoints/guard')).json().policy;
  await admin('PUT', '/admin/endpoints/guard', { policy: { kind: 'single', version: '2' }, reason: 'pin 2' });
  // The admin record holds the policy before and after the change.
  const admins = (await admin('GET', '/admin/audit/records?kind=admin&limit=1000')).json().records as { detail_json: string }[];
  const setPolicy = admins.map((r) => JSON.parse(r.detail_json)).filter((d) => d.action === 'set-policy').at(-1);
  assert.deepEqual([setPolicy.before, setPolicy.after, setPolicy.reason], [before, { kind: 'single', version: '2' }, 'pin 2']);
  // And a promotion's record, the production version before and after it (the setup promoted 1).
  const promotion = admins.map((r) => JSON.parse(r.detail_json)).find((d) => d.action === 'promote' && d.target === 'guard@1');
  assert.equal(promotion.before.productionVersion, null);
  assert.equal(promotion.after.productionVersion, '1');
  for (const shadow of ['5', '4']) {
    const started = await admin('POST', '/admin/endpoints/guard/shadow', { shadow, sampleRate: 1 });
    assert.equal(started.statusCode, 200, started.body);
    try {
      const answers = await traffic(120);
      assert.ok(answers.every((r) => r.status === 200 && r.version === '2'), 'clients only ever see the primary');
      const [record] = (await admin('GET', `/admin/audit/records?requestId=${answers[0].body.requestId}`)).json().records;
      assert.deepEqual([record.version, record.route], ['2', 'primary+shadow'], 'the audit record says the request was mirrored');
      if (shadow === '5') {
        // Every client has its answer while the slow shadow still holds mirrored copies: nobody waited for it.
        const copy = t.server.models.get('guard', '5').batcher;
        assert.ok(copy.queueDepth + copy.busy > 0, 'the slow shadow was still working when the clients were done');
      }
      let settled = (await admin('GET', '/admin/endpoints/guard')).json().stats.shadow;
      for (let i = 0; i < 600 && (settled?.requests ?? 0) < 120; i++) {
        await new Promise((r) => setTimeout(r, 50));
        settled = (await admin('GET', '/admin/endpoints/guard')).json().stats.shadow;
      }
      if (shadow === '4') assert.ok(settled.errors > 0 && settled.errors < settled.requests, `shadow errors recorded: ${JSON.stringify(settled)}`);
      if (shadow === '5') assert.ok(settled.agreementRate > 0.99, `same answers: ${JSON.stringify(settled)}`);
    } finally {
      assert.equal((await admin('DELETE', '/admin/endpoints/guard/shadow')).statusCode, 200);
    }
  }
});

test('A/B: sticky by X-User-Id for a thousand users, shares near the weights, feedback gives per-variant accuracy', async () => {
  const res = await admin('POST', '/admin/endpoints/guard/experiment', { variants: [{ name: 'a', version: '1', weight: 50 }, { name: 'b', version: '3', weight: 50 }], positiveLabel: 'high' });
  assert.equal(res.statusCode, 200, res.body);
  const assigned = new Map<string, string>();
  for (let u = 0; u < 1000; u++) {
    const first = await predict({ 'x-user-id': `user-${u}` });
    const again = await predict({ 'x-user-id': `user-${u}` });
    assert.equal(first.version, again.version, `user-${u} keeps its variant`);
    assigned.set(`user-${u}`, first.version);
    // Truth: 'high' when the model with threshold 0.5 says so, i.e. version 1 is always right.
    const truth = first.version === '1' ? first.body.prediction : (first.body.prediction === 'low' ? 'high' : 'low');
    await t.server.inference.inject({ method: 'POST', url: '/v1/models/guard/feedback', payload: { requestId: first.body.requestId, label: truth }, headers: t.auth });
  }
  const onA = [...assigned.values()].filter((v) => v === '1').length;
  assert.ok(Math.abs(onA - 500) < 4 * Math.sqrt(1000 * 0.25), `share of variant a: ${onA}/1000`);
  const report = (await admin('GET', '/admin/endpoints/guard/experiment')).json();
  const a = report.variants.find((v: { name: string }) => v.name === 'a');
  const b = report.variants.find((v: { name: string }) => v.name === 'b');
  assert.equal(a.accuracy, 1);
  assert.ok(b.labelled > 0 && b.accuracy < 1);
  assert.ok(report.comparisons[0].pValue < 0.05, 'the difference is significant');
  await admin('DELETE', '/admin/endpoints/guard/experiment?winner=a');
});

test('zero failed client requests across every transition under continuous load', async () => {
  let stop = false;
  const seen: { status: number; version: string }[] = [];
  const clients = Array.from({ length: 6 }, async () => {
    while (!stop) seen.push(await predict());
  });
  const steps: [string, string, unknown?][] = [
    ['PUT', '/admin/endpoints/guard', { policy: { kind: 'single', version: '1' } }],
    ['POST', '/admin/endpoints/guard/canary', { candidate: '2', config: { ...canary, minRequests: 100000 } }],
    ['POST', '/admin/endpoints/guard/rollout/pause', {}],
    ['POST', '/admin/endpoints/guard/rollout/resume', {}],
    ['POST', '/admin/endpoints/guard/rollout/abort', { reason: 'test' }],
    ['PUT', '/admin/endpoints/guard', { policy: { kind: 'blue-green', blue: '1', green: '2', active: 'blue' } }],
    ['POST', '/admin/endpoints/guard/switch', {}],
    ['PUT', '/admin/endpoints/guard', { policy: { kind: 'single', version: '2' } }],
    ['POST', '/admin/endpoints/guard/shadow', { shadow: '4', sampleRate: 1 }],
    ['DELETE', '/admin/endpoints/guard/shadow'],
    ['POST', '/admin/models/guard/versions/1/promote', {}],
    ['POST', '/admin/endpoints/guard/experiment', { variants: [{ name: 'a', version: '1', weight: 1 }, { name: 'b', version: '2', weight: 1 }] }],
    ['DELETE', '/admin/endpoints/guard/experiment'],
  ];
  // Between transitions, wait for the clients to get some answers (not for a time: a slow machine
  // would otherwise run the steps back to back with no traffic between them).
  const traffic = async (n: number) => {
    const target = seen.length + n;
    for (let i = 0; i < 2000 && seen.length < target; i++) await new Promise((r) => setTimeout(r, 5));
  };
  try {
    for (const [method, url, body] of steps) {
      await traffic(20);
      const res = await admin(method as 'POST', url, body);
      assert.ok(res.statusCode < 300, `${method} ${url}: ${res.body}`);
    }
    // The controller's own transitions too: a good canary advanced step by step and promoted under load.
    const started = await admin('POST', '/admin/endpoints/guard/canary', { candidate: '1', config: canary });
    assert.equal(started.statusCode, 200, started.body);
    let state = 'running';
    for (let i = 0; i < 20 && state === 'running'; i++) {
      await traffic(60);
      await t.server.rollouts.tick();
      state = (await admin('GET', '/admin/endpoints/guard')).json().rollout?.state;
    }
    assert.equal(state, 'succeeded', 'advanced and promoted by the controller while clients kept sending');
    await traffic(20);
  } finally {
    stop = true;
    await Promise.all(clients);
  }
  assert.ok(seen.length > 100);
  assert.deepEqual(seen.filter((r) => r.status !== 200), [], 'no client request failed');
});
