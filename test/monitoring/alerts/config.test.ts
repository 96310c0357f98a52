// Rules and the `alerts` config section: schema errors name the field, the six defaults, rule merging,
// webhook URL checks, and secrets read from the environment or a file without ever being echoed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  alertsConfigSchema, conditionHolds, defaultRules, parseRule, resolveRules, resolveWebhooks, webhookUrlProblem,
} from '../../../src/monitoring/alerts/index.ts';

describe('alert rules', () => {
  it('fill defaults and refuse bad fields with the field named', () => {
    const r = parseRule({ name: 'x', signal: 's', condition: { op: '>', threshold: 1 } });
    assert.deepEqual({ for: r.for, keepFiringFor: r.keepFiringFor, severity: r.severity, labels: r.labels, aggregate: r.aggregate },
      { for: 0, keepFiringFor: 0, severity: 'warning', labels: {}, aggregate: 'max' });
    assert.throws(() => parseRule({ name: 'x', signal: 's', condition: { op: '=>', threshold: 1 } }), /condition\.op/);
    assert.throws(() => parseRule({ name: '1x', signal: 's', condition: { op: '>', threshold: 1 } }), { code: 'MG_INVALID_REQUEST' });
    assert.throws(() => parseRule({ name: 'x', signal: 's', condition: { op: '>', threshold: 1 }, for: -1 }), /for/);
    assert.throws(() => parseRule({ name: 'x', signal: 's', condition: { op: '>', threshold: 1 }, extra: 1 }), /extra|Unrecognized/);
  });

  it('every operator', () => {
    const holds = (op: string, v: number) => conditionHolds(parseRule({ name: 'x', signal: 's', condition: { op, threshold: 1 } }), v);
    assert.deepEqual(['>', '>=', '<', '<=', '==', '!='].map((op) => [holds(op, 0), holds(op, 1), holds(op, 2)]), [
      [false, false, true], [false, true, true], [true, false, false], [true, true, false], [false, true, false], [true, false, true],
    ]);
  });

  it('the six defaults, with the thresholds docs/alerts.md explains', () => {
    const d = Object.fromEntries(defaultRules().map((r) => [r.signal, `${r.condition.op} ${r.condition.threshold} for ${r.for / 1000}s ${r.severity}`]));
    assert.deepEqual(d, {
      error_rate: '> 0.05 for 120s critical',
      latency_p99_seconds: '> 1 for 300s warning',
      drift: '== true for 0s warning',
      decay: '== true for 0s critical',
      extraction_suspects: '> 0 for 0s warning',
      audit_chain_broken: '== true for 0s critical',
    });
    assert.ok(defaultRules().every((r) => r.description.length > 40));
  });
});

describe('alerts config section', () => {
  it('is all defaults when empty, and strict', () => {
    const c = alertsConfigSchema.parse({});
    assert.deepEqual(c, { evaluationIntervalMs: 15000, defaults: true, disable: [], rules: [], webhooks: [] });
    assert.equal(alertsConfigSchema.safeParse({ evaluationIntervalMs: 10 }).success, false);
    assert.equal(alertsConfigSchema.safeParse({ typo: 1 }).success, false);
    const dup = { name: 'a', signal: 's', condition: { op: '>', threshold: 1 } };
    assert.equal(alertsConfigSchema.safeParse({ rules: [dup, dup] }).success, false);
  });

  it('merges rules: defaults < config < stored, then disable', () => {
    const config = alertsConfigSchema.parse({
      disable: ['extraction_suspects'],
      rules: [{ name: 'high_latency_p99', signal: 'latency_p99_seconds', condition: { op: '>', threshold: 0.25 } }],
    });
    const stored = [parseRule({ name: 'mine', signal: 'x', condition: { op: '>', threshold: 0 } })];
    const rules = resolveRules(config, stored);
    assert.deepEqual(rules.map((r) => r.name).sort(), ['audit_chain_broken', 'high_error_rate', 'high_latency_p99', 'input_drift', 'mine', 'model_decay']);
    assert.equal(rules.find((r) => r.name === 'high_latency_p99')!.condition.threshold, 0.25);
    assert.deepEqual(resolveRules(alertsConfigSchema.parse({ defaults: false })), []);
  });

  it('webhook URLs: http and https only, no credentials', () => {
    assert.equal(webhookUrlProblem('https://hooks.example.com/x?y=1'), undefined);
    assert.equal(webhookUrlProblem('http://127.0.0.1:9000/'), undefined);
    assert.match(webhookUrlProblem('file:///etc/passwd')!, /http/);
    assert.match(webhookUrlProblem('gopher://x/')!, /http/);
    assert.match(webhookUrlProblem('https://user:pw@example.com/')!, /credentials/);
    assert.match(webhookUrlProblem('not a url')!, /not a URL/);
    const parsed = alertsConfigSchema.safeParse({ webhooks: [{ url: 'ftp://x/', secretEnv: 'S' }] });
    assert.equal(parsed.success, false);
    assert.equal(alertsConfigSchema.safeParse({ webhooks: [{ url: 'https://x/' }] }).success, false, 'a secret is required');
    assert.equal(alertsConfigSchema.safeParse({ webhooks: [{ url: 'https://x/', secretEnv: 'A', secretFile: '/f' }] }).success, false);
  });

  it('reads secrets from env or file; errors name the source, never the secret', () => {
    const hooks = alertsConfigSchema.parse({
      webhooks: [
        { url: 'https://a.example.com/hook?token=abc', secretEnv: 'HOOK_SECRET' },
        { name: 'chat', url: 'https://b.example.com/T0KEN', secretFile: '/run/secrets/chat', minSeverity: 'critical' },
      ],
    }).webhooks;
    const secret = 's3cret-s3cret-s3cret';
    const resolved = resolveWebhooks(hooks, { HOOK_SECRET: secret }, () => `${secret}-file\n`);
    assert.deepEqual(resolved.map((w) => [w.name, w.secret, w.minSeverity]), [
      ['https://a.example.com/hook', secret, 'warning'],
      ['chat', `${secret}-file`, 'critical'],
    ]);
    assert.throws(() => resolveWebhooks(hooks, {}, () => secret), (e: Error & { code?: string }) => e.code === 'MG_CONFIG_INVALID' && /HOOK_SECRET/.test(e.message));
    assert.throws(() => resolveWebhooks(hooks, { HOOK_SECRET: 'short-secret' }, () => secret), (e: Error) => /at least 16/.test(e.message) && !e.message.includes('short-secret'));
    assert.throws(() => resolveWebhooks(hooks, { HOOK_SECRET: secret }, () => { throw new Error('ENOENT'); }), /\/run\/secrets\/chat cannot be read/);
  });
});
