// Integration with a real Prometheus: it scrapes the admin plane's /metrics with the admin bearer
// credential, and a counter of the inferences we sent is read back through its query API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadSplit } from './emails.ts';
import { startModelgate } from './process.ts';
import { prometheusBinary, scrapeConfig, startPrometheus, type PromSample, type RunningPrometheus } from './prometheus-harness.ts';

const REQUESTS = 30;
const POLL_LIMIT = 300; // x 100 ms: long enough for several 1 s scrapes on a busy machine

/** Calls `read` until `accept` holds for its result; fails with the last result and Prometheus' output. */
async function pollUntil<T>(prom: RunningPrometheus, what: string, read: () => Promise<T>, accept: (r: T) => boolean): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < POLL_LIMIT; i++) {
    last = await read();
    if (accept(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`Prometheus never answered ${what} as expected; last answer ${JSON.stringify(last)}\n${prom.output()}`);
}

interface Targets { data: { activeTargets: { labels: { job: string }; health: string; lastError: string }[] } }

test('a real Prometheus scrapes the admin plane with the bearer credential and reads back the inference counter', async () => {
  prometheusBinary(); // fails here, before anything starts, when Prometheus is not installed
  // No shedding on event loop lag: on a busy test machine it refuses requests for a moment after a
  // stall, and the count read back must be exactly the requests sent.
  const mg = await startModelgate('quickstart', ['--max-event-loop-delay-ms', '0']);
  let prom: RunningPrometheus | undefined;
  try {
    const target = new URL(mg.adminUrl).host;
    prom = await startPrometheus(scrapeConfig([
      { job: 'modelgate', target, credentialsFile: join(mg.dataDir, 'admin.token') },
      // The same target without the credential: the admin plane must refuse it.
      { job: 'anonymous', target },
    ]));

    const { spam, ham } = loadSplit();
    const emails = [...spam.slice(0, REQUESTS / 2), ...ham.slice(0, REQUESTS / 2)];
    const statuses = await Promise.all(emails.map(async (text) => {
      const res = await fetch(`${mg.url}/v1/models/spam-filter/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${mg.token}` },
        body: JSON.stringify({ text }),
      });
      await res.arrayBuffer();
      return res.status;
    }));
    assert.deepEqual(statuses, emails.map(() => 200));

    const metric = 'modelgate_inference_requests_total';
    const isOk = (x: PromSample) => x.metric.model === 'spam-filter' && x.metric.code === 'OK';
    const series = await pollUntil(prom, metric, () => prom!.query(metric), (r) => r.some((x) => isOk(x) && x.value >= REQUESTS));
    const ok = series.find(isOk)!;
    assert.equal(ok.metric.__name__, metric);
    assert.equal(ok.metric.version, '1');
    assert.equal(ok.metric.job, 'modelgate');
    assert.equal(ok.metric.instance, target);
    assert.equal(ok.value, REQUESTS, 'exactly the requests sent, no more (nothing else called the model)');

    // Polled, not read once: on a busy machine one scrape may miss its 1 s timeout.
    const up = 'up{job="modelgate"} == 1';
    await pollUntil(prom, up, () => prom!.query(up), (r) => r.length === 1 && r[0].metric.instance === target);
    const refused = await pollUntil(prom, '/api/v1/targets', () => fetch(`${prom!.url}/api/v1/targets`).then((r) => r.json() as Promise<Targets>),
      (r) => r.data.activeTargets.some((x) => x.labels.job === 'anonymous' && /401/.test(x.lastError)));
    const anonymous = refused.data.activeTargets.find((x) => x.labels.job === 'anonymous')!;
    assert.equal(anonymous.health, 'down', 'a scrape without the credential is refused with 401');
    assert.deepEqual((await prom.query('up{job="anonymous"}')).map((x) => x.value), [0]);
  } finally {
    await prom?.stop();
    mg.proc.kill('SIGTERM');
    await mg.exited;
  }
});
