// The assembled server, end to end: the real quickstart process serving the spam filter, a config file
// with short drift windows and a 1 s alert evaluation, and a real local webhook receiver. Spam-only
// traffic closes a drifted window and the default `input_drift` rule fires to the receiver (signature
// checked with the snippet from docs/alerts.md); held-out mail closes a quiet window and it resolves;
// the admin API's history shows both transitions and their deliveries. Waits are bounded polls.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WebhookPayload } from '../../src/monitoring/alerts/index.ts';
import { tempDir } from '../fixtures/server.ts';
import { documentedVerifier, startReceiver, type Receiver } from '../monitoring/alerts/receiver.ts';
import { prng, spamSplit } from '../monitoring/fixtures.ts';
import { startModelgate, type Running } from './process.ts';

const SECRET = 'whsec_e2e_0123456789abcdef0123456789abcdef';
const SECRET_ENV = 'MODELGATE_E2E_WEBHOOK_SECRET';
const WINDOW = 50; // rows per drift window: spam-only fired in 10 of 10 windows at 50 rows (docs/drift.md)
const MAX_WINDOWS = 4; // per phase; the test fails rather than sending forever
const CONCURRENCY = 10;

type Payload = WebhookPayload;
interface DriftStatus {
  drifted: boolean;
  windowsClosed: number;
  latest?: { window: number; rows: number; drifted: boolean };
}

let receiver: Receiver;
let mg: Running | undefined;

before(async () => {
  receiver = await startReceiver();
  const config = join(tempDir('mg-e2e-alerts-'), 'config.json');
  writeFileSync(config, JSON.stringify({
    // Windows close by count only (the time limit is far away), so each window is exactly what we sent.
    drift: { windowSize: WINDOW, windowMs: 600_000 },
    alerts: {
      evaluationIntervalMs: 1000,
      webhooks: [{ name: 'e2e-receiver', url: receiver.url, secretEnv: SECRET_ENV, maxAttempts: 3, backoffMs: 200, maxBackoffMs: 1000 }],
    },
  }));
  mg = await startModelgate('quickstart', ['--config', config, '--log-level', 'warn'], { [SECRET_ENV]: SECRET });
});

after(async () => {
  if (mg && mg.proc.exitCode === null) {
    mg.proc.kill('SIGTERM');
    await mg.exited;
  }
  await receiver?.close();
});

function running(): Running {
  assert.ok(mg, 'the server started');
  return mg;
}

/** Polls `check` every 100 ms until it returns a value; fails after `ms` with what was seen. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const got = receiver.received.map((r) => r.body).join('\n');
      assert.fail(`timed out after ${ms} ms waiting for ${what}\nreceiver got:\n${got || '(nothing)'}\nserver output:\n${running().output().slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function admin<T>(path: string): Promise<T> {
  const res = await fetch(`${running().adminUrl}${path}`, { headers: { authorization: `Bearer ${running().token}` } });
  assert.equal(res.status, 200, `GET ${path}: ${await res.clone().text()}`);
  return (await res.json()) as T;
}

/** Sends the texts through the simple JSON API, CONCURRENCY at a time; every one must be answered. */
async function predictAll(texts: readonly string[]): Promise<void> {
  for (let i = 0; i < texts.length; i += CONCURRENCY) {
    await Promise.all(texts.slice(i, i + CONCURRENCY).map(async (text) => {
      const res = await fetch(`${running().url}/v1/models/spam-filter/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${running().token}` },
        body: JSON.stringify({ text }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      await res.arrayBuffer();
    }));
  }
}

async function drift(): Promise<DriftStatus> {
  const body = await admin<{ versions: { version: string; drift: DriftStatus | null }[] }>('/admin/models/spam-filter/monitoring');
  assert.equal(body.versions.length, 1, 'one version of the spam filter served');
  assert.ok(body.versions[0].drift, 'the spam filter has a drift monitor');
  return body.versions[0].drift;
}

/** Sends windows of `texts` until a window closes with the wanted verdict; returns that window's number. */
async function untilWindow(texts: readonly string[], drifted: boolean, afterWindow: number): Promise<number> {
  for (let w = 0; w < MAX_WINDOWS; w++) {
    await predictAll(texts.slice(w * WINDOW, (w + 1) * WINDOW));
    const status = await drift();
    assert.equal(status.latest?.rows, WINDOW, 'windows close by count, one per batch sent');
    if (status.windowsClosed > afterWindow && status.latest.drifted === drifted) return status.latest.window;
  }
  return assert.fail(`no window closed ${drifted ? 'drifted' : 'quiet'} in ${MAX_WINDOWS} windows of ${WINDOW}`);
}

/** The notifications of the drift alert the receiver got, each signature checked as docs/alerts.md says. */
let verifier: ReturnType<typeof documentedVerifier> | undefined;
async function driftNotifications(): Promise<Payload[]> {
  const verify = await (verifier ??= documentedVerifier());
  const out: Payload[] = [];
  for (const r of receiver.received) {
    const p = JSON.parse(r.body) as Payload;
    if (p.alert !== 'input_drift') continue;
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['user-agent'], 'ModelGate-Alerts/1');
    assert.ok(verify(r.headers['x-modelgate-signature'], r.body, SECRET), `signature of ${p.state} verifies: ${String(r.headers['x-modelgate-signature'])}`);
    assert.ok(!verify(r.headers['x-modelgate-signature'], r.body, `${SECRET}-other`), 'another secret does not verify');
    out.push(p);
  }
  return out;
}

test('spam-only traffic fires a drift alert to a real webhook, held-out mail resolves it, and the admin history has both', async () => {
  const { test: heldOut } = spamSplit();
  const spam = heldOut.filter((e) => e.label === 'spam').map((e) => e.text);
  const rand = prng(20250101);
  const mix = heldOut.map((e) => [rand(), e.text] as const).sort((a, b) => a[0] - b[0]).map(([, t]) => t);
  assert.ok(spam.length >= MAX_WINDOWS * WINDOW && mix.length >= MAX_WINDOWS * WINDOW, 'enough held-out mail for every window');

  // The rule under test is the shipped default, which fires at once (`for: 0`).
  const { rules } = await admin<{ rules: { rule: { name: string; signal: string; for: number }; source: string }[] }>('/admin/alerts/rules');
  const rule = rules.find((r) => r.rule.name === 'input_drift');
  assert.deepEqual(rule && { signal: rule.rule.signal, for: rule.rule.for, source: rule.source }, { signal: 'drift', for: 0, source: 'default' });
  assert.deepEqual(await driftNotifications(), [], 'nothing sent yet');

  // 1. Spam only: a window closes drifted, and the firing notification reaches the receiver.
  const driftedWindow = await untilWindow(spam, true, 0);
  const firing = await waitFor('a firing input_drift notification', async () =>
    (await driftNotifications()).find((p) => p.state === 'firing'));
  assert.equal(firing.labels.model, 'spam-filter');
  assert.equal(firing.labels.version, '1');
  assert.equal(firing.value, 1);
  assert.equal(firing.severity, 'warning');
  const active = await admin<{ active: { rule: string; state: string; instanceKey: string }[] }>('/admin/alerts');
  assert.ok(active.active.some((a) => a.rule === 'input_drift' && a.state === 'firing' && a.instanceKey === firing.instanceKey), 'listed as firing');
  // And in the Prometheus figures: the drifted window and the firing alert.
  const metrics = await (await fetch(`${running().adminUrl}/metrics`, { headers: { authorization: `Bearer ${running().token}` } })).text();
  assert.match(metrics, /^modelgate_drift_detected\{model="spam-filter",version="1"\} 1$/m);
  assert.match(metrics, /^modelgate_drift_statistic\{model="spam-filter",version="1",feature="[^"]+"\} [0-9.e-]+$/m);
  assert.match(metrics, /^modelgate_alerts_firing\{rule="input_drift",severity="warning"\} 1$/m);

  // 2. Held-out mail in the corpus proportions: a later window closes quiet, and the alert resolves.
  await untilWindow(mix, false, driftedWindow);
  const resolved = await waitFor('a resolved input_drift notification', async () =>
    (await driftNotifications()).find((p) => p.state === 'resolved'));
  assert.equal(resolved.instanceKey, firing.instanceKey, 'the resolved notification closes the same alert');
  assert.deepEqual(resolved.labels, firing.labels);
  assert.ok(resolved.endsAt && Date.parse(resolved.endsAt) >= Date.parse(firing.startsAt));
  const notified = await driftNotifications();
  assert.deepEqual(notified.map((p) => p.state), ['firing', 'resolved'], 'one firing, one resolved, in order');

  // 3. The admin API's history has both transitions, with the ids the receiver got, each delivered.
  const { events } = await admin<{ events: { id: string; rule: string; state: string; instanceKey: string; labels: Record<string, string> }[] }>(
    '/admin/alerts/history?rule=input_drift');
  const states = events.filter((e) => e.instanceKey === firing.instanceKey).map((e) => e.state);
  assert.deepEqual(states, ['resolved', 'firing'], 'newest first');
  for (const p of [firing, resolved]) {
    const event = events.find((e) => e.id === p.id);
    assert.ok(event, `history has the ${p.state} event the receiver got (${p.id})`);
    assert.equal(event.state, p.state);
    assert.deepEqual(event.labels, p.labels);
    const { deliveries } = await admin<{ deliveries: { target: string; state: string; attempts: number; lastStatus: number | null }[] }>(
      `/admin/alerts/history/${encodeURIComponent(p.id)}/notifications`);
    assert.equal(deliveries.length, 1, `one delivery of the ${p.state} event`);
    assert.equal(deliveries[0].target, 'e2e-receiver');
    assert.equal(deliveries[0].state, 'delivered');
    assert.equal(deliveries[0].lastStatus, 204);
  }
  const stillActive = await admin<{ active: { rule: string }[] }>('/admin/alerts');
  assert.ok(!stillActive.active.some((a) => a.rule === 'input_drift'), 'no longer active');
});
