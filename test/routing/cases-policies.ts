// Blue/green, shadow and experiment cases of the controller contract.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng, type ExperimentReport } from '../../src/routing/index.ts';
import type { GetHarness } from './controller-contract.ts';
import { requestsTo } from './harness.ts';

export function policyCases(get: GetHarness): void {
  test('blue/green: both versions stay referenced; one switch moves all traffic, and back', async () => {
    const h = get();
    const name = await h.model();
    await h.controller.createEndpoint(name, { kind: 'blue-green', blue: '1', green: '2', active: 'blue' }, 'alice', 'set up blue/green');
    assert.ok(h.prepared.includes(`${name}: 1,2`));
    assert.deepEqual((await h.controller.referencedVersions()).filter((r) => r.model === name).map((r) => r.version), ['1', '2']);
    assert.equal(requestsTo(h.controller, name, '1', 2_000), 2_000);
    assert.equal((await h.controller.switchBlueGreen(name, 'alice', 'go green')).kind, 'blue-green');
    assert.equal(requestsTo(h.controller, name, '2', 2_000), 2_000);
    await h.controller.switchBlueGreen(name, 'alice', 'back', 'blue');
    assert.equal(requestsTo(h.controller, name, '1', 2_000), 2_000);
    const events = (await h.controller.history(name)).reverse();
    assert.deepEqual(events.map((e) => `${e.action}:${e.reason}`), ['create-endpoint:set up blue/green', 'switch:go green', 'switch:back']);
    assert.equal((await h.controller.status(name)).revision, 3);
    await assert.rejects(h.controller.createEndpoint(name, { kind: 'single', version: '1' }, 'alice'), { code: 'MG_CONFLICT' });
    const single = await h.model();
    await h.controller.createEndpoint(single, { kind: 'single', version: '1' }, 'alice');
    await assert.rejects(h.controller.switchBlueGreen(single, 'alice'), { code: 'MG_CONFLICT' });
  });

  test('shadow: mirrors the sampled share, records agreement, latency and errors; stop restores the primary', async () => {
    const h = get();
    const name = await h.model();
    // No endpoint row yet: the shadow starts from the production version.
    await h.controller.startShadow(name, { shadow: '2', sampleRate: 0.5 }, 'alice', 'try 2 on live traffic');
    assert.deepEqual(h.controller.policyOf(name), { kind: 'shadow', primary: '1', shadow: '2', sampleRate: 0.5 });
    const rng = seededRng(5);
    let mirrored = 0;
    for (let i = 0; i < 4_000; i++) {
      const requestId = `s-${i}`;
      const d = h.controller.route(name, { requestId })!;
      assert.equal(d.primary.version, '1');
      const label = rng() < 0.3 ? 'spam' : 'ham';
      h.controller.observe(name, 'primary', { ok: true, latencyMs: 5, label, ...(d.shadow ? { requestId } : {}) });
      if (!d.shadow) continue;
      mirrored++;
      // The shadow is slow, fails one time in ten, and disagrees on one answer in five of the rest.
      const fails = i % 10 === 0;
      const flip = i % 5 === 1;
      h.controller.observe(name, 'shadow', { ok: !fails, latencyMs: 400, shadowOf: requestId, ...(fails ? {} : { label: flip ? (label === 'spam' ? 'ham' : 'spam') : label }) });
    }
    assert.ok(mirrored > 1_850 && mirrored < 2_150, `mirrored ${mirrored}`);
    const stats = (await h.controller.status(name)).stats;
    assert.equal(stats.primary?.requests, 4_000);
    assert.equal(stats.primary?.errors, 0);
    assert.equal(stats.shadow?.requests, mirrored);
    assert.ok((stats.shadow?.errorRate ?? 0) > 0.05 && (stats.shadow?.errorRate ?? 0) < 0.15);
    assert.ok((stats.shadow?.p99Ms ?? 0) >= 400 && (stats.primary?.p99Ms ?? 0) <= 10);
    const agreement = stats.shadow?.agreementRate ?? 0;
    assert.ok(agreement > 0.72 && agreement < 0.84, `agreement ${agreement}`);

    assert.deepEqual(await h.controller.stopShadow(name, 'alice', 'enough data'), { kind: 'single', version: '1' });
    assert.equal(requestsTo(h.controller, name, '2', 5_000), 0);
    const [stop] = await h.controller.history(name, { limit: 1 });
    assert.equal(stop.action, 'stop-shadow');
    const recorded = stop.detail?.stats as Record<string, { agreementRate?: number }>;
    assert.equal(recorded.shadow.agreementRate, agreement);
    await assert.rejects(h.controller.stopShadow(name, 'alice'), { code: 'MG_CONFLICT' });
  });

  test('experiment: sticky variants, ground-truth feedback, per-variant report with a z-test; stop on a winner', async () => {
    const h = get();
    const name = await h.model();
    await h.controller.startExperiment(name, {
      variants: [{ name: 'control', version: '1', weight: 1 }, { name: 'new', version: '2', weight: 1 }],
      stickyHeader: 'X-User-Id', positiveLabel: 'spam',
    }, 'alice', 'does 2 catch more spam?');
    const policy = h.controller.policyOf(name);
    assert.equal(policy?.kind === 'ab' && policy.stickyHeader, 'x-user-id');
    const rng = seededRng(6);
    const assigned = new Map<string, string>();
    for (let i = 0; i < 6_000; i++) {
      const user = `user-${i % 2_000}`;
      const requestId = `x-${i}`;
      const d = h.controller.route(name, { requestId, stickyKey: user })!;
      const before = assigned.get(user);
      if (before !== undefined) assert.equal(d.primary.arm, before, `${user} switched variant`);
      assigned.set(user, d.primary.arm);
      const truth = rng() < 0.3 ? 'spam' : 'ham';
      // control is right 80 % of the time, new 90 %.
      const right = rng() < (d.primary.arm === 'variant:control' ? 0.8 : 0.9);
      const label = right ? truth : truth === 'spam' ? 'ham' : 'spam';
      h.controller.observe(name, d.primary.arm, { ok: true, latencyMs: 8, label });
      h.controller.recordPrediction(name, requestId, d.primary.arm, label);
      assert.equal(h.controller.feedback(name, requestId, truth), 'accepted');
    }
    assert.equal(h.controller.feedback(name, 'x-1', 'spam'), 'duplicate');
    assert.equal(h.controller.feedback(name, 'never-seen', 'spam'), 'unknown');
    const report = (await h.controller.status(name)).experiment as ExperimentReport;
    assert.equal(report.positiveLabel, 'spam');
    const [control, variant] = report.variants;
    assert.equal(control.requests + variant.requests, 6_000);
    assert.equal(control.labelled, control.requests);
    assert.ok(Math.abs((control.accuracy ?? 0) - 0.8) < 0.03 && Math.abs((variant.accuracy ?? 0) - 0.9) < 0.03);
    assert.ok(variant.precision !== null && variant.recall !== null && variant.f1 !== null);
    assert.equal(report.comparisons.length, 1);
    assert.ok(report.comparisons[0].pValue < 1e-6 && report.comparisons[0].significant);

    assert.deepEqual(await h.controller.stopExperiment(name, 'alice', { winner: 'new', reason: 'new wins' }), { kind: 'single', version: '2' });
    const [stop] = await h.controller.history(name, { limit: 1 });
    assert.equal(stop.action, 'stop-experiment');
    assert.equal((stop.detail?.report as ExperimentReport).variants[1].labelled, variant.labelled);
    await assert.rejects(h.controller.stopExperiment(name, 'alice'), { code: 'MG_CONFLICT' });
  });
}
