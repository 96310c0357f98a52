// Operator cases of the controller contract: pause, resume, abort, conflicts, restart in the middle
// of a canary, and preparing versions before any change can route to them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GetHarness } from './controller-contract.ts';
import { drive, requestsTo } from './harness.ts';

const CONFIG = { steps: [10, 50, 100], bakeMs: 30_000, minRequests: 100 };

export function operationCases(get: GetHarness): void {
  test('pause holds the step (no advance) but keeps the safety net; resume restarts the bake', async () => {
    const h = get();
    const name = await h.model();
    await h.controller.startCanary(name, { candidate: '2', config: CONFIG }, 'alice');
    await h.controller.pause(name, 'bob', 'looking at dashboards');
    drive(h.controller, name, 2_000, {}, 21);
    h.clock.advance(CONFIG.bakeMs);
    const [paused] = (await h.controller.tick()).filter((r) => r.endpoint === name);
    assert.equal(paused.decision, 'wait');
    assert.equal(paused.reason, 'paused');
    assert.equal((await h.controller.status(name)).rollout?.state, 'paused');
    await assert.rejects(h.controller.pause(name, 'bob'), { code: 'MG_CONFLICT' });

    await h.controller.resume(name, 'bob', 'looks fine');
    const [rebake] = (await h.controller.tick()).filter((r) => r.endpoint === name);
    assert.equal(rebake.decision, 'wait');
    assert.match(rebake.reason, /baking/);
    h.clock.advance(CONFIG.bakeMs);
    const [advanced] = (await h.controller.tick()).filter((r) => r.endpoint === name);
    assert.equal(advanced.decision, 'advance');
    await assert.rejects(h.controller.resume(name, 'bob'), { code: 'MG_CONFLICT' });

    // Paused, a bad candidate is still rolled back.
    await h.controller.pause(name, 'bob');
    drive(h.controller, name, 1_000, { candidate: { errorRate: 0.5 } }, 22);
    const [rolled] = (await h.controller.tick()).filter((r) => r.endpoint === name);
    assert.equal(rolled.decision, 'rollback');
    const actions = (await h.controller.history(name)).reverse().map((e) => `${e.action}:${e.actor}:${e.reason ?? ''}`);
    assert.deepEqual(actions.slice(0, 3), ['start-canary:alice:', 'pause:bob:looking at dashboards', 'resume:bob:looks fine']);
  });

  test('abort sends everything back to stable at once and is recorded', async () => {
    const h = get();
    const name = await h.model();
    await h.controller.startCanary(name, { candidate: '2', config: CONFIG }, 'alice');
    assert.deepEqual(await h.controller.abort(name, 'carol', 'customer complaint'), { kind: 'single', version: '1' });
    assert.equal(requestsTo(h.controller, name, '2', 10_000), 0);
    const status = await h.controller.status(name);
    assert.equal(status.rollout?.state, 'aborted');
    const [event] = await h.controller.history(name, { limit: 1 });
    assert.equal(event.action, 'abort');
    assert.equal(event.reason, 'customer complaint');
    assert.deepEqual(event.detail?.after, { kind: 'single', version: '1' });
    await assert.rejects(h.controller.abort(name, 'carol'), { code: 'MG_CONFLICT' });
  });

  test('one live rollout per endpoint; policy edits wait for it; bad input and unknown versions change nothing', async () => {
    const h = get();
    const name = await h.model();
    const results = await Promise.allSettled([
      h.controller.startCanary(name, { candidate: '2', config: CONFIG }, 'alice'),
      h.controller.startCanary(name, { candidate: '3', config: CONFIG }, 'bob'),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.equal(failed.reason.code, 'MG_CONFLICT');
    await assert.rejects(h.controller.startShadow(name, { shadow: '3' }, 'bob'), { code: 'MG_CONFLICT' });
    await assert.rejects(h.controller.updatePolicy(name, { kind: 'single', version: '3' }, 'bob'), { code: 'MG_CONFLICT' });
    await h.controller.abort(name, 'alice');

    const other = await h.model();
    await assert.rejects(h.controller.startCanary(other, { candidate: '9', config: CONFIG }, 'alice'), { code: 'MG_VERSION_NOT_FOUND' });
    await assert.rejects(h.controller.startCanary(other, { candidate: '2', config: { steps: [50, 10] } }, 'alice'), { code: 'MG_INVALID_REQUEST' });
    await assert.rejects(h.controller.startCanary(other, { candidate: '1', config: CONFIG }, 'alice'), { code: 'MG_INVALID_REQUEST' });
    await assert.rejects(h.controller.startCanary(other, { candidate: '2', config: CONFIG }, ''), { code: 'MG_INVALID_REQUEST' });
    assert.equal(h.controller.policyOf(other), undefined);
    assert.deepEqual(await h.controller.history(other), []);
    await assert.rejects(h.controller.status(other), { code: 'MG_NOT_FOUND' });
    await assert.rejects(h.controller.createEndpoint(other, { kind: 'single', version: '7' }, 'alice'), { code: 'MG_VERSION_NOT_FOUND' });
  });

  test('a restart in the middle of a canary resumes at its step, with its statistics and bake time', async () => {
    const h = get();
    const name = await h.model();
    await h.controller.startCanary(name, { candidate: '2', config: CONFIG }, 'alice');
    drive(h.controller, name, 2_000, {}, 31);
    h.clock.advance(CONFIG.bakeMs);
    assert.equal((await h.controller.tick()).find((r) => r.endpoint === name)?.decision, 'advance');
    // At 50 %: some traffic, half the bake, then the process goes away.
    drive(h.controller, name, 150, {}, 32);
    h.clock.advance(CONFIG.bakeMs / 2);
    assert.equal((await h.controller.tick()).find((r) => r.endpoint === name)?.decision, 'wait');
    const before = (await h.controller.status(name)).stats;

    const restarted = await h.reopen();
    try {
      const status = await restarted.controller.status(name);
      assert.equal(status.rollout?.state, 'running');
      assert.equal(status.rollout?.stepIndex, 1);
      assert.deepEqual(restarted.controller.policyOf(name), { kind: 'canary', stable: '1', candidate: '2', weight: 50 });
      assert.equal(status.stats.candidate?.requests, before.candidate?.requests);
      assert.equal(status.stats.stable?.requests, before.stable?.requests);
      drive(restarted.controller, name, 200, {}, 33);
      const [waiting] = (await restarted.controller.tick()).filter((r) => r.endpoint === name);
      assert.match(waiting.reason, /baking: 15 s of 30 s/);
      h.clock.advance(CONFIG.bakeMs / 2);
      const [r] = (await restarted.controller.tick()).filter((x) => x.endpoint === name);
      assert.equal(r.decision, 'advance', r.reason);
      assert.ok((r.analysis?.candidate.requests ?? 0) > 100, 'counts from before and after the restart');
      // The first controller sees the change once it refreshes (another replica would poll).
      await h.controller.refresh();
      assert.deepEqual(h.controller.policyOf(name), { kind: 'canary', stable: '1', candidate: '2', weight: 100 });
      await restarted.controller.abort(name, 'alice');
    } finally {
      await restarted.close();
    }
  });

  test('referencedVersions lists every version an endpoint can route to; onChange follows every change', async () => {
    const h = get();
    const name = await h.model();
    await h.controller.startCanary(name, { candidate: '3', config: CONFIG }, 'alice');
    const refs = (await h.controller.referencedVersions()).filter((r) => r.model === name);
    assert.deepEqual(refs, [{ model: name, version: '1' }, { model: name, version: '3' }]);
    await h.controller.abort(name, 'alice');
    assert.deepEqual((await h.controller.referencedVersions()).filter((r) => r.model === name), [{ model: name, version: '1' }]);
    const mine = h.changes.filter((c) => c.endpoint === name);
    assert.deepEqual(mine.map((c) => [c.action, c.before?.kind ?? null, c.after.kind]), [['start-canary', null, 'canary'], ['abort', 'canary', 'single']]);
  });
}
