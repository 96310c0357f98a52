// createAlerting, as the integrator and the admin API use it: rules with their source, custom rules
// saved in the store and applied at once, start() taking back alerts left open by a previous run.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alertsConfigSchema, createAlerting } from '../../../src/monitoring/alerts/index.ts';
import { sqliteTarget } from '../../store/targets.ts';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const config = alertsConfigSchema.parse({
  rules: [{ name: 'high_latency_p99', signal: 'latency_p99_seconds', condition: { op: '>', threshold: 0.25 } }],
});

describe('createAlerting', () => {
  it('lists rules by source, saves and deletes custom rules in the store, restores open alerts at start', async () => {
    const target = sqliteTarget();
    const store = await target.open();
    try {
      const first = createAlerting({ config, logger: quiet, store });
      const sources = Object.fromEntries((await first.rules()).map((r) => [r.rule.name, r.source]));
      assert.equal(sources.high_latency_p99, 'config');
      assert.equal(sources.high_error_rate, 'default');
      await assert.rejects(first.saveRule({ name: 'bad', signal: 's', condition: { op: '~', threshold: 1 } }, 'alice'), { code: 'MG_INVALID_REQUEST' });
      const saved = await first.saveRule({ name: 'suspects_spike', signal: 'extraction_suspects', condition: { op: '>=', threshold: 3 }, severity: 'critical' }, 'alice');
      assert.equal(saved.for, 0);
      assert.equal((await first.rules()).find((r) => r.rule.name === 'suspects_spike')?.source, 'store');
      first.engine.set('extraction_suspects', {}, 5);
      const fired = await first.engine.evaluate();
      assert.deepEqual(fired.map((e) => e.rule).sort(), ['extraction_suspects', 'suspects_spike']);
      assert.equal(first.active().length, 2);
      await first.close();

      // A new process: the stored rule comes back, and so do the open alerts, which resolve.
      const logged: string[] = [];
      const second = createAlerting({ config, logger: { ...quiet, info: (_o, m) => logged.push(m ?? '') }, store });
      await second.start();
      assert.ok(logged.some((m) => /taken back/.test(m)));
      assert.ok((await second.rules()).some((r) => r.rule.name === 'suspects_spike'));
      assert.equal(second.active().length, 2);
      second.engine.set('extraction_suspects', {}, 0);
      const resolved = await second.engine.evaluate();
      assert.deepEqual(resolved.map((e) => e.state), ['resolved', 'resolved']);
      await second.deleteRule('suspects_spike');
      await assert.rejects(second.deleteRule('suspects_spike'), { code: 'MG_NOT_FOUND' });
      assert.ok(!(await second.rules()).some((r) => r.rule.name === 'suspects_spike'));
      assert.deepEqual((await second.events({ limit: 2 })).map((e) => e.state), ['resolved', 'resolved']);
      assert.deepEqual(await second.deliveries({}), [], 'no webhook configured');
      await second.close();
    } finally {
      await store.close();
      await target.cleanup();
    }
  });

  it('without a store: history in memory, custom rules refused', async () => {
    const alerting = createAlerting({ config, logger: quiet });
    await assert.rejects(alerting.saveRule({ name: 'x', signal: 's', condition: { op: '>', threshold: 1 } }, 'a'), { code: 'MG_CONFLICT' });
    alerting.engine.set('audit_chain_broken', {}, true);
    const [e] = await alerting.engine.evaluate();
    assert.deepEqual([e.rule, e.state, e.severity], ['audit_chain_broken', 'firing', 'critical']);
    assert.equal((await alerting.events()).length, 1);
    await alerting.close();
  });

  it('a missing webhook secret stops the start with MG_CONFIG_INVALID', () => {
    const withHook = alertsConfigSchema.parse({ webhooks: [{ url: 'https://hooks.example.com/x', secretEnv: 'NOT_SET_ANYWHERE' }] });
    assert.throws(() => createAlerting({ config: withHook, logger: quiet, env: {} }), { code: 'MG_CONFIG_INVALID' });
  });
});
