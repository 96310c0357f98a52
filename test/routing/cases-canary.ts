// Canary cases of the controller contract: a good candidate advances through every step and is
// promoted in the registry; a bad one (errors, disagreement, a signal) is rolled back at once and gets
// no request afterwards; each decision is recorded with its numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Analysis } from '../../src/routing/index.ts';
import type { GetHarness } from './controller-contract.ts';
import { drive, requestsTo } from './harness.ts';

const CONFIG = { steps: [5, 25, 50, 100], bakeMs: 60_000, minRequests: 100 };

export function canaryCases(get: GetHarness): void {
  test('a good candidate advances through every step after its bake and is promoted', async () => {
    const h = get();
    const name = await h.model();
    const id = await h.controller.startCanary(name, { candidate: '2', config: CONFIG }, 'alice', 'ship 2');
    assert.deepEqual(h.controller.policyOf(name), { kind: 'canary', stable: '1', candidate: '2', weight: 5 });
    assert.ok(h.prepared.includes(`${name}: 1,2`), 'the candidate is loaded before traffic can reach it');

    const weights: number[] = [];
    for (let step = 0; step < CONFIG.steps.length; step++) {
      const policy = h.controller.policyOf(name);
      assert.equal(policy?.kind, 'canary');
      weights.push(policy?.kind === 'canary' ? policy.weight : -1);
      const counts = drive(h.controller, name, 4_000, {}, 100 + step);
      assert.ok((counts.get('candidate') ?? 0) >= CONFIG.minRequests, `step ${step}: ${counts.get('candidate')} candidate requests`);
      // Enough requests, not yet baked: it waits.
      const [early] = await h.controller.tick();
      assert.equal(early.decision, 'wait', early.reason);
      assert.match(early.reason, /baking/);
      h.clock.advance(CONFIG.bakeMs);
      const [r] = await h.controller.tick();
      assert.equal(r.decision, step < CONFIG.steps.length - 1 ? 'advance' : 'promote', r.reason);
      assert.equal(r.analysis?.pass, true);
      if (CONFIG.steps[step] === 100) assert.equal(r.analysis?.stableFrom, 'baseline');
    }
    assert.deepEqual(weights, CONFIG.steps);
    assert.deepEqual(h.controller.policyOf(name), { kind: 'single', version: '2' });
    assert.equal((await h.registry.registry.getModel(name)).productionVersion, '2');
    const status = await h.controller.status(name);
    assert.equal(status.rollout?.id, id);
    assert.equal(status.rollout?.state, 'succeeded');
    assert.equal(requestsTo(h.controller, name, '1', 1_000), 0);

    const events = (await h.controller.history(name)).reverse();
    assert.deepEqual(events.map((e) => e.action), ['start-canary', 'advance', 'advance', 'advance', 'promote']);
    assert.equal(events[0].actor, 'alice');
    assert.equal(events[0].reason, 'ship 2');
    assert.equal(events[0].automatic, false);
    for (const e of events.slice(1)) {
      assert.equal(e.automatic, true);
      assert.equal(e.actor, 'rollout-controller');
      assert.match(e.reason ?? '', /analysis passed/);
      const analysis = e.detail?.analysis as Analysis;
      assert.ok(analysis.candidate.requests >= CONFIG.minRequests);
      assert.equal(typeof analysis.errorRateDelta, 'number');
      assert.equal(typeof analysis.disagreement, 'number');
    }
    assert.deepEqual(events.at(-1)?.detail?.after, { kind: 'single', version: '2' });
    const history = await h.registry.registry.history(name);
    assert.ok(history.some((x) => x.action === 'promote' && x.version === '2' && x.actor === 'rollout-controller'));
    assert.deepEqual(h.changes.filter((c) => c.endpoint === name).map((c) => c.action), ['start-canary', 'advance', 'advance', 'advance', 'promote']);
  });

  test('a candidate that errors is rolled back at once (before its bake ends) and then gets no request', async () => {
    const h = get();
    const name = await h.model();
    await h.controller.startCanary(name, { candidate: '2', config: CONFIG }, 'alice');
    drive(h.controller, name, 4_000, { candidate: { errorRate: 0.2 } }, 7);
    const [r] = await h.controller.tick();
    assert.equal(r.decision, 'rollback', r.reason);
    assert.match(r.reason, /error rate/);
    assert.deepEqual(h.controller.policyOf(name), { kind: 'single', version: '1' });
    assert.equal(requestsTo(h.controller, name, '2', 10_000), 0);
    const status = await h.controller.status(name);
    assert.equal(status.rollout?.state, 'rolled_back');
    assert.match(status.rollout?.endReason ?? '', /error rate/);
    const [event] = await h.controller.history(name, { limit: 1 });
    assert.equal(event.action, 'rollback');
    assert.equal(event.automatic, true);
    const analysis = event.detail?.analysis as Analysis;
    assert.ok(analysis.errorRateDelta > 0.1, `delta ${analysis.errorRateDelta}`);
    assert.ok(analysis.errorPValue < 0.01);
    assert.equal((await h.registry.registry.getModel(name)).productionVersion, '1');
    // Nothing left to tick.
    assert.deepEqual(await h.controller.tick().then((rs) => rs.filter((x) => x.endpoint === name)), []);
  });

  test('a candidate that answers differently is rolled back on label disagreement', async () => {
    const h = get();
    const name = await h.model();
    await h.controller.startCanary(name, { candidate: '2', config: CONFIG }, 'alice');
    drive(h.controller, name, 4_000, { candidate: { spamRate: 0.7 } }, 8);
    const [r] = await h.controller.tick();
    assert.equal(r.decision, 'rollback', r.reason);
    assert.match(r.reason, /label shares differ/);
    assert.ok((r.analysis?.disagreement ?? 0) > 0.3);
    assert.equal(requestsTo(h.controller, name, '2', 10_000), 0);
  });

  test('a slow candidate is rolled back on p99 latency; a failing signal rolls back a healthy one', async () => {
    const h = get();
    const slow = await h.model();
    await h.controller.startCanary(slow, { candidate: '2', config: CONFIG }, 'alice');
    drive(h.controller, slow, 4_000, { candidate: { latencyMs: 40 } }, 9);
    const [r] = (await h.controller.tick()).filter((x) => x.endpoint === slow);
    assert.equal(r.decision, 'rollback', r.reason);
    assert.match(r.reason, /p99 latency/);

    const flagged = await h.model();
    const other = await h.reopen({ signals: (endpoint, version) => ({ security: endpoint === flagged && version === '2' }) });
    try {
      await other.controller.startCanary(flagged, { candidate: '2', config: CONFIG }, 'alice');
      drive(other.controller, flagged, 4_000, {}, 10);
      const [s] = (await other.controller.tick()).filter((x) => x.endpoint === flagged);
      assert.equal(s.decision, 'rollback', s.reason);
      assert.match(s.reason, /security detector/);
      assert.equal(s.analysis?.signals.security, true);
    } finally {
      await other.close();
    }
  });

  test('replicas: a step is judged on the sum of every replica\'s counts, and shown so', async () => {
    const h = get();
    const config = { steps: [50, 100], bakeMs: 60_000, minRequests: 100 };
    const name = await h.model();
    const other = await h.reopen(); // a second replica on the same store
    try {
      await h.controller.startCanary(name, { candidate: '2', config }, 'alice');
      await other.controller.refresh();
      const a = drive(h.controller, name, 150, {}, 41).get('candidate') ?? 0;
      const b = drive(other.controller, name, 150, {}, 42).get('candidate') ?? 0;
      assert.ok(a < 100 && b < 100 && a + b >= 100, `each replica alone is short of minRequests: ${a} + ${b}`);
      const [first] = (await h.controller.tick()).filter((x) => x.endpoint === name);
      assert.equal(first.reason, `the candidate has ${a} of 100 requests at step 1`, 'the other replica has not published yet');
      const [second] = (await other.controller.tick()).filter((x) => x.endpoint === name);
      assert.match(second.reason, /^baking/);
      assert.equal(second.analysis?.candidate.requests, a + b);
      assert.equal((await h.controller.status(name)).stats.candidate?.requests, a + b, 'status shows the sum too');
      h.clock.advance(config.bakeMs);
      const [advanced] = (await h.controller.tick()).filter((x) => x.endpoint === name);
      assert.equal(advanced.decision, 'advance', advanced.reason);
      assert.equal(advanced.analysis?.candidate.requests, a + b);
      const rollout = await h.store.db.selectFrom('rollouts').select(['id', 'baseline_json']).where('endpoint', '=', name).executeTakeFirstOrThrow();
      const baseline = JSON.parse(rollout.baseline_json!) as { requests: number };
      assert.equal(baseline.requests, 300 - a - b, 'the 100 % step is compared against both replicas\' stable counts');
      const left = await h.store.db.selectFrom('rollout_stats').select('step_index').where('rollout_id', '=', Number(rollout.id)).execute();
      assert.deepEqual(left, [], 'the finished step\'s rows are dropped');
      await h.controller.abort(name, 'alice', 'test over');
    } finally {
      await other.close();
    }
  });

  test('replicas: a candidate failing on two replicas, each short of minRequests, is rolled back on the sum', async () => {
    const h = get();
    const config = { steps: [50, 100], bakeMs: 60_000, minRequests: 100 };
    const name = await h.model();
    const other = await h.reopen();
    try {
      const id = await h.controller.startCanary(name, { candidate: '2', config }, 'alice');
      await other.controller.refresh();
      const a = drive(h.controller, name, 150, { candidate: { errorRate: 0.5 } }, 51).get('candidate') ?? 0;
      const [alone] = (await h.controller.tick()).filter((x) => x.endpoint === name);
      assert.equal(alone.decision, 'wait', 'one replica alone has too few requests to judge');
      const b = drive(other.controller, name, 150, { candidate: { errorRate: 0.5 } }, 52).get('candidate') ?? 0;
      const [r] = (await other.controller.tick()).filter((x) => x.endpoint === name);
      assert.equal(r.decision, 'rollback', r.reason);
      assert.equal(r.analysis?.candidate.requests, a + b);
      await h.controller.refresh();
      assert.deepEqual(h.controller.policyOf(name), { kind: 'single', version: '1' });
      const ended = await h.store.db.selectFrom('rollouts').select('stats_json').where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal((JSON.parse(ended.stats_json!) as { candidate: { requests: number } }).candidate.requests, a + b, 'the history keeps the sum');
      assert.deepEqual(await h.store.db.selectFrom('rollout_stats').select('replica').where('rollout_id', '=', id).execute(), []);
    } finally {
      await other.close();
    }
  });

  test('replicas: one that never judges adds its counts when it refreshes; rows of ended rollouts are dropped', async () => {
    const h = get();
    const config = { steps: [50, 100], bakeMs: 60_000, minRequests: 100 };
    const name = await h.model();
    const quiet = await h.reopen(); // rolloutTickMs 0 there: it only serves and polls
    try {
      const id = await h.controller.startCanary(name, { candidate: '2', config }, 'alice');
      await quiet.controller.refresh();
      const b = drive(quiet.controller, name, 300, {}, 61).get('candidate') ?? 0;
      await quiet.controller.refresh(); // what registryPollMs does on every replica
      const [r] = (await h.controller.tick()).filter((x) => x.endpoint === name);
      assert.equal(r.analysis?.candidate.requests, b, 'the judging replica sees the quiet one\'s traffic');
      await h.controller.abort(name, 'alice');
      // A late publish after the end leaves a row behind; the next refresh drops it.
      await h.store.db.insertInto('rollout_stats').values({ rollout_id: id, step_index: 0, replica: 'late', stats_json: '{}', updated_at: new Date().toISOString() }).execute();
      await quiet.controller.refresh();
      assert.deepEqual(await h.store.db.selectFrom('rollout_stats').select('replica').where('rollout_id', '=', id).execute(), []);
    } finally {
      await quiet.close();
    }
  });

  test('no verdict before minRequests: a handful of errors does not roll back, nor does time alone advance', async () => {
    const h = get();
    const name = await h.model();
    await h.controller.startCanary(name, { candidate: '2', config: CONFIG }, 'alice');
    drive(h.controller, name, 400, { candidate: { errorRate: 1 } }, 11);
    h.clock.advance(10 * CONFIG.bakeMs);
    const [r] = (await h.controller.tick()).filter((x) => x.endpoint === name);
    assert.equal(r.decision, 'wait');
    assert.match(r.reason, /of 100 requests/);
    assert.equal(h.controller.policyOf(name)?.kind, 'canary');
    await h.controller.abort(name, 'alice', 'test over');
  });
}
