// promSignals against a real prom-client Registry with real observations: error rate and p99 from
// counter and bucket deltas over a sliding window, per model and version; histogramQuantile by hand.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { AlertEngine, counterDelta, histogramQuantile, parseRule, promSignals, type Sample } from '../../../src/monitoring/alerts/index.ts';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function serverMetrics() {
  const registry = new Registry();
  const requests = new Counter({ name: 'mg_requests_total', help: 'h', labelNames: ['model', 'version', 'code'], registers: [registry] });
  const duration = new Histogram({ name: 'mg_duration_seconds', help: 'h', labelNames: ['model', 'version'], buckets: BUCKETS, registers: [registry] });
  const source = promSignals({
    registry, windowMs: 60_000,
    errorRate: { counter: 'mg_requests_total' },
    latency: { histogram: 'mg_duration_seconds' },
  });
  return { registry, requests, duration, source };
}

const byKey = (samples: readonly Sample[]) =>
  Object.fromEntries(samples.map((s) => [`${s.signal}/${s.labels.model}/${s.labels.version}`, s.value]));

describe('histogramQuantile', () => {
  it('interpolates inside the bucket, like PromQL', () => {
    // 100 observations: 50 in (0, 1], 40 in (1, 2], 10 in (2, 4].
    const buckets = [{ le: 1, count: 50 }, { le: 2, count: 90 }, { le: 4, count: 100 }, { le: Infinity, count: 100 }];
    assert.equal(histogramQuantile(0.5, buckets), 1);
    assert.equal(histogramQuantile(0.7, buckets), 1.5);
    assert.equal(histogramQuantile(0.95, buckets), 3);
    assert.equal(histogramQuantile(0.25, buckets), 0.5, 'the first bucket starts at 0');
  });
  it('answers the highest finite bound when the rank falls in +Inf, NaN without observations', () => {
    assert.equal(histogramQuantile(0.99, [{ le: 1, count: 1 }, { le: Infinity, count: 10 }]), 1);
    assert.ok(Number.isNaN(histogramQuantile(0.99, [{ le: 1, count: 0 }, { le: Infinity, count: 0 }])));
  });
  it('counterDelta treats a drop as a reset', () => {
    assert.equal(counterDelta(5, 8), 3);
    assert.equal(counterDelta(8, 2), 2);
  });
});

describe('promSignals over a real registry', () => {
  it('gives nothing on the first poll, then error rate and p99 per model and version over the window', async () => {
    const m = serverMetrics();
    m.requests.inc({ model: 'spam', version: '1', code: 'OK' }, 1000); // before the first poll: not in any window
    assert.deepEqual(await m.source(0), []);
    // 100 requests on spam/1: 90 OK, 6 server-side failures, 4 client faults (count as requests only).
    m.requests.inc({ model: 'spam', version: '1', code: 'OK' }, 90);
    m.requests.inc({ model: 'spam', version: '1', code: 'MG_INFERENCE_FAILED' }, 4);
    m.requests.inc({ model: 'spam', version: '1', code: 'MG_TIMEOUT' }, 2);
    m.requests.inc({ model: 'spam', version: '1', code: 'MG_INVALID_TENSOR' }, 4);
    // 20 requests on spam/2, all fine; 5 on other/1 (below minRequests: no sample).
    m.requests.inc({ model: 'spam', version: '2', code: 'OK' }, 20);
    m.requests.inc({ model: 'other', version: '1', code: 'MG_INFERENCE_FAILED' }, 5);
    // Latency of spam/1: 98 fast (3 ms) and 2 slow (3 s): p99 lands in the (2.5, 5] bucket.
    for (let i = 0; i < 98; i++) m.duration.observe({ model: 'spam', version: '1' }, 0.003);
    m.duration.observe({ model: 'spam', version: '1' }, 3);
    m.duration.observe({ model: 'spam', version: '1' }, 3);
    const got = byKey(await m.source(15_000));
    assert.equal(got['error_rate/spam/1'], 0.06);
    assert.equal(got['error_rate/spam/2'], 0);
    assert.equal(got['error_rate/other/1'], undefined);
    // rank 99 of 100: the 99th observation is the first of 2 in (2.5, 5]: 2.5 + 2.5 * (1/2).
    assert.equal(got['latency_p99_seconds/spam/1'], 3.75);
    assert.equal(got['latency_p99_seconds/spam/2'], undefined, 'no observations, no value');
  });

  it('slides: deltas are taken against the newest poll at least windowMs old', async () => {
    const m = serverMetrics();
    const labels = { model: 'spam', version: '1' };
    await m.source(0);
    m.requests.inc({ ...labels, code: 'MG_INFERENCE_FAILED' }, 50);
    m.requests.inc({ ...labels, code: 'OK' }, 50);
    assert.equal(byKey(await m.source(30_000))['error_rate/spam/1'], 0.5);
    m.requests.inc({ ...labels, code: 'OK' }, 100);
    // Window 60 s at t=60 s: base is t=0, so all 200 requests count.
    assert.equal(byKey(await m.source(60_000))['error_rate/spam/1'], 0.25);
    m.requests.inc({ ...labels, code: 'OK' }, 100);
    // At t=90 s the base is t=30 s: the 50 failures have left the window.
    assert.equal(byKey(await m.source(90_000))['error_rate/spam/1'], 0);
  });

  it('a reset registry counts from zero instead of going negative', async () => {
    const m = serverMetrics();
    m.requests.inc({ model: 'a', version: '1', code: 'OK' }, 500);
    await m.source(0);
    m.registry.resetMetrics();
    m.requests.inc({ model: 'a', version: '1', code: 'MG_TIMEOUT' }, 10);
    m.requests.inc({ model: 'a', version: '1', code: 'OK' }, 10);
    assert.equal(byKey(await m.source(15_000))['error_rate/a/1'], 0.5);
  });

  it('a metric name the registry lacks is an error', async () => {
    const registry = new Registry();
    const source = promSignals({ registry, errorRate: { counter: 'nope_total' } });
    await assert.rejects(async () => source(0), { code: 'MG_CONFIG_INVALID' });
  });

  it('drives the default-style rule through an engine: fires on real failures, resolves on recovery', async () => {
    const m = serverMetrics();
    const rule = parseRule({ name: 'high_error_rate', signal: 'error_rate', condition: { op: '>', threshold: 0.05 }, for: 30_000 });
    const e = new AlertEngine({ rules: [rule], sources: [m.source] });
    const labels = { model: 'spam', version: '1' };
    const states: string[] = [];
    for (let t = 0; t <= 180_000; t += 15_000) {
      const failing = t >= 15_000 && t <= 75_000;
      m.requests.inc({ ...labels, code: 'OK' }, failing ? 80 : 100);
      if (failing) m.requests.inc({ ...labels, code: 'MG_INFERENCE_FAILED' }, 20);
      for (const ev of await e.evaluate(t)) states.push(`${t / 1000}s ${ev.state}`);
    }
    // At 120 s the window (60 s, 120 s] holds the last failing poll only: 20 of 400 = 5%, not above 5%.
    assert.deepEqual(states, ['15s pending', '45s firing', '120s resolved']);
  });
});
