// THE webhook test: a real alert, computed from real prom-client metrics, fires and resolves to a real
// local HTTP receiver, which checks the signature with the snippet from docs/alerts.md; retries with
// backoff (500, 500, 200 -> 3 attempts), giving up after N, no retry on 4xx, refused connections,
// timeouts, severity filtering, shutdown, and the secret never in a log line. Records in SQLite.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Registry } from 'prom-client';
import {
  alertsConfigSchema, createAlerting, promSignals, signatureHeader, storeHistory, verifySignature, WebhookNotifier, SIGNATURE_HEADER,
  type AlertEvent, type AlertHistory, type ResolvedWebhook, type WebhookPayload,
} from '../../../src/monitoring/alerts/index.ts';
import type { Store } from '../../../src/store/index.ts';
import { sqliteTarget, type StoreTarget } from '../../store/targets.ts';
import { documentedVerifier, startReceiver } from './receiver.ts';

const SECRET = 'whsec_0123456789abcdef0123456789abcdef';

function recordingLogger() {
  const lines: string[] = [];
  const log = (level: string) => (obj: object, msg?: string) => lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj, (_k, v) => (v instanceof Error ? v.message : v))}`);
  return { lines, logger: { info: log('info'), warn: log('warn'), error: log('error') } };
}

let target: StoreTarget;
let store: Store;
let history: AlertHistory;
before(async () => {
  target = sqliteTarget();
  store = await target.open();
  history = storeHistory(store);
});
after(async () => {
  await store.close();
  await target.cleanup();
});

function hook(url: string, over: Partial<ResolvedWebhook> = {}): ResolvedWebhook {
  return { url, name: 'test-receiver', secret: SECRET, minSeverity: 'info', timeoutMs: 5000, maxAttempts: 5, backoffMs: 1000, maxBackoffMs: 60_000, maxQueue: 100, ...over };
}

let n = 0;
function alertEvent(over: Partial<AlertEvent> = {}): AlertEvent {
  n++;
  return {
    id: `evt-${n}-${Date.now()}`, instanceKey: 'x{}', rule: 'x', labels: {}, state: 'firing', value: 1, severity: 'critical', description: 'd',
    activeAt: new Date().toISOString(), firedAt: new Date().toISOString(), resolvedAt: null, at: new Date().toISOString(), ...over,
  };
}

/** A sleep that returns at once and remembers what it was asked to wait. */
function fakeSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe('webhook notifications to a real receiver', () => {
  it('a real alert fires and resolves; both deliveries carry a signature the documented snippet accepts', async () => {
    const verify = await documentedVerifier();
    const receiver = await startReceiver();
    const registry = new Registry();
    const requests = new Counter({ name: 'modelgate_inference_requests_total', help: 'h', labelNames: ['model', 'version', 'code'], registers: [registry] });
    const { lines, logger } = recordingLogger();
    // Real time, advanced by hand: signatures carry clock seconds, which the snippet checks against its own clock.
    const clock = { t: Date.now() - 90_000 };
    const alerting = createAlerting({
      config: alertsConfigSchema.parse({ webhooks: [{ url: receiver.url, secretEnv: 'TEST_HOOK_SECRET' }] }),
      logger, store, env: { TEST_HOOK_SECRET: SECRET }, now: () => clock.t,
      sources: [promSignals({ registry, errorRate: { counter: 'modelgate_inference_requests_total' } })],
    });
    try {
      const labels = { model: 'spam-filter', version: '3' };
      const run = async (ok: number, failed: number) => {
        requests.inc({ ...labels, code: 'OK' }, ok);
        if (failed) requests.inc({ ...labels, code: 'MG_INFERENCE_FAILED' }, failed);
        const events = await alerting.engine.evaluate(clock.t);
        clock.t += 15_000;
        return events.map((e) => e.state);
      };
      assert.deepEqual(await run(100, 0), []);
      const seen: string[] = [];
      for (let i = 0; i < 10; i++) seen.push(...(await run(80, 20))); // 20% errors for 150 s
      for (let i = 0; i < 5; i++) seen.push(...(await run(100, 0)));
      assert.deepEqual(seen, ['pending', 'firing', 'resolved'], 'the default high_error_rate rule, for: 2 min');
      await Promise.all(alerting.notifiers.map((x) => x.idle?.()));

      assert.equal(receiver.received.length, 2);
      const [firing, resolved] = receiver.received.map((r) => ({ r, payload: JSON.parse(r.body) as WebhookPayload }));
      for (const { r } of [firing, resolved]) {
        assert.equal(r.headers['content-type'], 'application/json');
        assert.ok(verify(r.headers['x-modelgate-signature'], r.body, SECRET), 'the documented snippet accepts it');
        assert.equal(verify(r.headers['x-modelgate-signature'], r.body, 'wrong-secret-wrong-secret'), false);
        assert.equal(verify(r.headers['x-modelgate-signature'], r.body.replace('spam-filter', 'spam-filtex'), SECRET), false, 'tampered body');
        assert.ok(verifySignature(r.headers['x-modelgate-signature'] as string, r.body, SECRET, clock.t / 1000));
      }
      assert.equal(firing.payload.alert, 'high_error_rate');
      assert.equal(firing.payload.state, 'firing');
      assert.deepEqual(firing.payload.labels, labels);
      assert.equal(firing.payload.severity, 'critical');
      assert.ok(firing.payload.value! > 0.05);
      assert.match(firing.payload.description, /5%/);
      assert.equal(firing.payload.endsAt, undefined);
      assert.equal(resolved.payload.state, 'resolved');
      assert.equal(resolved.payload.instanceKey, firing.payload.instanceKey);
      assert.equal(resolved.payload.startsAt, firing.payload.startsAt);
      assert.ok(resolved.payload.endsAt! > resolved.payload.startsAt);

      // History: the events in the store, each notification delivered on the first attempt.
      const events = await alerting.events({ rule: 'high_error_rate' });
      assert.deepEqual(events.map((e) => e.state), ['resolved', 'firing', 'pending']);
      assert.equal(events[1].id, firing.payload.id);
      for (const e of events.slice(0, 2)) {
        const [d] = await alerting.deliveries({ eventId: e.id });
        assert.deepEqual([d.state, d.attempts, d.lastStatus, d.target], ['delivered', 1, 204, receiver.url.split('?')[0]]);
      }
      assert.ok(lines.some((l) => l.startsWith('error alert firing: high_error_rate')));
      assert.ok(lines.some((l) => l.startsWith('info alert resolved: high_error_rate')));
      assert.ok(lines.every((l) => !l.includes(SECRET) && !l.includes('not-logged')));
    } finally {
      await alerting.close();
      await receiver.close();
    }
  });

  it('500, 500, 200: three attempts with exponential backoff, then delivered', async () => {
    const receiver = await startReceiver((i) => (i < 2 ? 500 : 200));
    const { waits, sleep } = fakeSleep();
    const notifier = new WebhookNotifier({ webhook: hook(receiver.url), history, sleep, random: () => 0.5 });
    try {
      const e = alertEvent();
      notifier.notify(e);
      await notifier.idle();
      assert.equal(receiver.received.length, 3);
      assert.deepEqual(waits, [750, 1500], 'base 1 s then 2 s, each with half of it jittered (random 0.5)');
      const bodies = new Set(receiver.received.map((r) => r.body));
      assert.equal(bodies.size, 1, 'every retry sends the same body (and id)');
      const [d] = await history.deliveries({ eventId: e.id });
      assert.deepEqual([d.state, d.attempts, d.lastStatus, d.lastError], ['delivered', 3, 200, null]);
      assert.ok(d.deliveredAt);
    } finally {
      await notifier.close();
      await receiver.close();
    }
  });

  it('a receiver that always fails is given up after maxAttempts, recorded and logged without the secret', async () => {
    const receiver = await startReceiver(() => 503);
    const { waits, sleep } = fakeSleep();
    const { lines, logger } = recordingLogger();
    const notifier = new WebhookNotifier({ webhook: hook(receiver.url, { maxAttempts: 4, backoffMs: 1000, maxBackoffMs: 3000 }), history, sleep, logger, random: () => 1 });
    try {
      const e = alertEvent();
      notifier.notify(e);
      await notifier.idle();
      assert.equal(receiver.received.length, 4);
      assert.deepEqual(waits, [1000, 2000, 3000], 'capped at maxBackoffMs');
      const [d] = await history.deliveries({ eventId: e.id });
      assert.deepEqual([d.state, d.attempts, d.lastStatus, d.lastError], ['failed', 4, 503, 'HTTP 503']);
      assert.equal(lines.length, 1);
      assert.match(lines[0], /^error alert notification given up/);
      assert.ok(!lines[0].includes(SECRET) && !lines[0].includes('not-logged'));
    } finally {
      await notifier.close();
      await receiver.close();
    }
  });

  it('a 4xx is not retried; a Retry-After lengthens the wait', async () => {
    const receiver = await startReceiver(() => 401);
    const notifier = new WebhookNotifier({ webhook: hook(receiver.url), history, sleep: fakeSleep().sleep });
    try {
      const e = alertEvent();
      notifier.notify(e);
      await notifier.idle();
      assert.equal(receiver.received.length, 1);
      const [d] = await history.deliveries({ eventId: e.id });
      assert.deepEqual([d.state, d.attempts, d.lastStatus, d.lastError], ['failed', 1, 401, 'HTTP 401 (not retried)']);
    } finally {
      await notifier.close();
      await receiver.close();
    }
    const busy = await startReceiver((i) => (i === 0 ? { status: 429, headers: { 'retry-after': '7' } } : 200));
    const { waits, sleep } = fakeSleep();
    const patient = new WebhookNotifier({ webhook: hook(busy.url), history, sleep, random: () => 0 });
    try {
      const e = alertEvent();
      patient.notify(e);
      await patient.idle();
      assert.deepEqual(waits, [7000]);
      assert.equal((await history.deliveries({ eventId: e.id }))[0].state, 'delivered');
    } finally {
      await patient.close();
      await busy.close();
    }
  });

  it('a refused connection and a receiver that never answers are retried, then recorded without a status', async () => {
    const gone = await startReceiver();
    await gone.close(); // its port now refuses connections
    const hanging = await startReceiver(() => 'hang');
    const { sleep } = fakeSleep();
    const refused = new WebhookNotifier({ webhook: hook(gone.url, { maxAttempts: 2 }), history, sleep });
    const slow = new WebhookNotifier({ webhook: hook(hanging.url, { maxAttempts: 1, timeoutMs: 200 }), history, sleep });
    try {
      const a = alertEvent();
      const b = alertEvent();
      refused.notify(a);
      slow.notify(b);
      await Promise.all([refused.idle(), slow.idle()]);
      const [da] = await history.deliveries({ eventId: a.id });
      assert.deepEqual([da.state, da.attempts, da.lastStatus, da.lastError], ['failed', 2, null, 'ECONNREFUSED']);
      const [db] = await history.deliveries({ eventId: b.id });
      assert.deepEqual([db.state, db.attempts, db.lastStatus, db.lastError], ['failed', 1, null, 'timed out after 200 ms']);
    } finally {
      await refused.close();
      await slow.close();
      await hanging.close();
    }
  });

  it('sends in order, filters by severity and never sends pending; close() abandons retries and records them', async () => {
    const receiver = await startReceiver((i) => (i === 0 ? 200 : 500));
    let wake: (() => void) | undefined;
    const sleep = (_ms: number, signal: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        wake = resolve;
        signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    const notifier = new WebhookNotifier({ webhook: hook(receiver.url, { minSeverity: 'warning' }), history, sleep });
    try {
      const info = alertEvent({ severity: 'info' });
      const pending = alertEvent({ state: 'pending' });
      const first = alertEvent({ severity: 'warning' });
      const second = alertEvent({ severity: 'critical', state: 'resolved' });
      const third = alertEvent({ severity: 'critical' });
      for (const e of [info, pending, first, second, third]) notifier.notify(e);
      // The second waits in its backoff; the third waits behind it, in order.
      while (!wake) await new Promise((r) => setImmediate(r));
      assert.deepEqual(receiver.received.map((r) => (JSON.parse(r.body) as WebhookPayload).id), [first.id, second.id]);
      await notifier.close();
      assert.deepEqual((await history.deliveries({ eventId: info.id })), []);
      const states = await Promise.all([first, second, third].map(async (e) => (await history.deliveries({ eventId: e.id }))[0]));
      assert.deepEqual(states.map((d) => [d.state, d.attempts]), [['delivered', 1], ['failed', 1], ['failed', 0]]);
      assert.equal(states[2].lastError, 'abandoned: notifier closed');
      notifier.notify(alertEvent());
      assert.equal(receiver.received.length, 2, 'a closed notifier takes nothing');
    } finally {
      await receiver.close();
    }
  });

  it('signatureHeader and verifySignature: the timestamp is inside the MAC and bounded', () => {
    const body = '{"a":1}';
    const h = signatureHeader(SECRET, body, 1_700_000_000);
    assert.match(h, /^t=1700000000,v1=[0-9a-f]{64}$/);
    assert.equal(verifySignature(h, body, SECRET, 1_700_000_100), true);
    assert.equal(verifySignature(h, body, SECRET, 1_700_000_301), false, 'older than the tolerance');
    assert.equal(verifySignature(h.replace('t=1700000000', 't=1700000100'), body, SECRET, 1_700_000_100), false, 'moved timestamp');
    assert.equal(verifySignature(`${h},v1=${'0'.repeat(64)}`, body, SECRET, 1_700_000_000), true, 'any v1 may match');
    assert.equal(verifySignature(undefined, body, SECRET), false);
    assert.equal(SIGNATURE_HEADER, 'X-ModelGate-Signature');
  });
});
