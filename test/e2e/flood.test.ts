// The real server process with a slow model and low limits, flooded over loopback by one principal
// from many connections: health checks keep answering and a second principal keeps being served,
// because the flooder's excess is refused at once (per-principal rate limit, concurrency cap, load
// shedding) instead of queueing in front of everybody. Assertions are on statuses, never on timings.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { slowModel, writeModel } from '../fixtures/onnx.ts';
import { tempDir } from '../fixtures/server.ts';
import { startModelgate, type Running } from './process.ts';

const FLOODERS = 96; // concurrent connections from the flooding principal
const MAX_FLOOD_REQUESTS = 20_000; // the flood stops by itself even if the checks below hang
const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 256], data: new Array(256).fill(1) }] });

let mg: Running;
let flooder: string;
let other: string;

before(async () => {
  const repo = tempDir();
  writeModel(repo, 'slow', '1', slowModel());
  const config = join(tempDir(), 'config.json');
  // Small buckets so the flood is mostly refused; no per-model bucket, so the flooder's admitted
  // requests cannot spend the other principal's share of the model.
  writeFileSync(config, JSON.stringify({ rateLimits: { perPrincipal: { capacity: 10, refillPerSecond: 5 }, perModel: null } }));
  mg = await startModelgate('serve', [
    '--config', config, '--model-repository', repo, '--allow-unsigned', 'true', '--registry-poll-ms', '0', '--log-level', 'warn',
    '--max-in-flight', '64', '--max-in-flight-per-principal', '8', '--batching-max-queue-size', '32',
    // The extraction detector would (rightly) block the flooder too; it has its own tests.
    '--extraction-enabled', 'false',
  ]);
  const key = async (name: string) => {
    const res = await fetch(`${mg.adminUrl}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mg.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, roles: ['predictor'], models: ['slow'] }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { key: string }).key;
  };
  flooder = await key('flooder');
  other = await key('bystander');
});
after(async () => {
  mg.proc.kill('SIGTERM');
  await mg.exited;
});

const infer = (key: string) =>
  fetch(`${mg.url}/v2/models/slow/infer`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });

/** One request of the bystander, retried as the server asks (Retry-After on 503 and 429), at most 30 times. */
async function bystander(): Promise<{ status: number; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    const res = await infer(other);
    await res.arrayBuffer();
    if (res.status === 200 || attempt === 30 || ![429, 503].includes(res.status)) return { status: res.status, attempts: attempt };
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('under a flood from one principal, health checks answer 200 and another principal is served', async (t) => {
  const statuses = new Map<number, number>();
  const messages = new Set<string>();
  let sent = 0;
  let stop = false;
  const worker = async () => {
    while (!stop && sent < MAX_FLOOD_REQUESTS) {
      sent++;
      const res = await infer(flooder).catch(() => undefined);
      if (!res) continue;
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 429) messages.add(/already has \d+ requests in flight/.test(text) ? 'concurrency cap' : /rate limit/.test(text) ? 'rate limit' : text);
    }
  };
  const flood = Array.from({ length: FLOODERS }, worker);

  const health: string[] = [];
  const served: { status: number; attempts: number }[] = [];
  try {
    // Wait until the flood is well under way: the first refusals have come back.
    while (!statuses.has(429) && sent < MAX_FLOOD_REQUESTS) await new Promise((r) => setTimeout(r, 10));
    for (let round = 0; round < 5; round++) {
      for (const url of [`${mg.url}/v2/health/live`, `${mg.url}/v2/health/ready`, `${mg.adminUrl}/v2/health/live`, `${mg.adminUrl}/v2/health/ready`]) {
        const res = await fetch(url);
        await res.arrayBuffer();
        if (res.status !== 200) health.push(`${url}: ${res.status}`);
      }
      served.push(await bystander());
    }
  } finally {
    stop = true;
    await Promise.all(flood);
  }
  const summary = `flood: ${sent} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}, refusals by ${[...messages].join(', ')}; bystander ${JSON.stringify(served)}`;
  t.diagnostic(summary);
  assert.ok(sent < MAX_FLOOD_REQUESTS, `the checks finished while the flood was still running: ${summary}`);
  assert.deepEqual(health, [], summary);
  assert.deepEqual(served.map((s) => s.status), [200, 200, 200, 200, 200], summary);
  // The flooder was served within its budget and refused beyond it; nothing failed.
  assert.ok((statuses.get(200) ?? 0) > 0, summary);
  assert.ok((statuses.get(429) ?? 0) > (statuses.get(200) ?? 0), summary);
  assert.deepEqual([...statuses.keys()].filter((s) => ![200, 429, 503].includes(s)), [], summary);
  assert.ok(messages.has('rate limit'), summary);
  assert.equal(mg.proc.exitCode, null, 'the server is still running');
  // After the flood, the bystander is served at the first attempt.
  assert.deepEqual(await bystander(), { status: 200, attempts: 1 });
});
