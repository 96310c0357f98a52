// The real server process, a real socket and a plain HTTP client, serving the example spam filter
// as `npm start` does: a signing key and a signed package made on first run, registered, promoted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { startModelgate, type Running } from './process.ts';
import { loadSplit } from './emails.ts';

let mg: Running;
before(async () => {
  mg = await startModelgate('quickstart', ['--batching-max-queue-delay-ms', '20', '--batching-max-batch-size', '16']);
});
after(async () => {
  mg.proc.kill('SIGTERM');
  await mg.exited;
});

const post = (path: string, body: unknown, token = mg.token) =>
  fetch(`${mg.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });

test('the generated admin credential is a 0600 file and never appears in the output', () => {
  assert.equal(statSync(join(mg.dataDir, 'admin.token')).mode & 0o777, 0o600);
  assert.ok(!mg.output().includes(mg.token), 'the secret is not printed');
  assert.match(mg.output(), /admin credential was written to/);
});

test('the spam filter classifies real held-out spam and ham emails over HTTP', async () => {
  const { spam, ham } = loadSplit();
  for (const [email, label] of [[spam[0], 'spam'], [ham[0], 'ham']] as const) {
    const res = await post('/v1/models/spam-filter/predict', { text: email });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.prediction, label);
    assert.equal(res.headers.get('x-model-version'), '1');
    assert.ok(body.confidence > 0.5 && body.confidence <= 1);
  }
  const oip = await post('/v2/models/spam-filter/infer', { id: 'e2e', inputs: [{ name: 'text', datatype: 'BYTES', shape: [2], data: [spam[1], ham[1]] }] });
  const body = await oip.json();
  assert.equal(body.id, 'e2e');
  assert.deepEqual(body.outputs.find((o: { name: string }) => o.name === 'label').data, ['spam', 'ham']);
});

test('concurrent requests are merged into batches and every caller gets its own answer', async () => {
  const { spam, ham } = loadSplit();
  const emails = [...spam.slice(0, 24), ...ham.slice(0, 24)];
  // Each email's answer on its own, one at a time (no batching possible).
  const alone: string[] = [];
  for (const e of emails) alone.push((await (await post('/v1/models/spam-filter/predict', { text: e })).json()).probabilities.spam);
  const metrics = async () => {
    const text = await (await fetch(`${mg.adminUrl}/metrics`, { headers: { authorization: `Bearer ${mg.token}` } })).text();
    const read = (name: string) => Number(new RegExp(`${name}\\{model="spam-filter",version="1"\\} (\\S+)`).exec(text)![1]);
    return { sum: read('modelgate_batch_requests_sum'), count: read('modelgate_batch_requests_count') };
  };
  const before = await metrics();
  const together = await Promise.all(emails.map(async (e) => (await (await post('/v1/models/spam-filter/predict', { text: e })).json()).probabilities.spam));
  const afterM = await metrics();
  const requests = afterM.sum - before.sum;
  const batches = afterM.count - before.count;
  assert.equal(requests, emails.length);
  assert.ok(batches < requests, `requests were merged: ${requests} requests in ${batches} engine calls`);
  for (let i = 0; i < emails.length; i++) assert.ok(Math.abs(Number(together[i]) - Number(alone[i])) < 1e-6, `email ${i} got its own answer`);
});

test('bad requests get clear 4xx answers over the socket and the server keeps serving', async () => {
  const bad = await fetch(`${mg.url}/v2/models/spam-filter/infer`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${mg.token}` }, body: '{"inputs": [' });
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), { error: 'the request body is not valid JSON' });
  const nul = await post('/v1/models/spam-filter/predict', { text: 'hello\u0000 click here to win' });
  assert.equal(nul.status, 400);
  assert.match((await nul.json()).error, /NUL/);
  const huge = await post('/v1/models/spam-filter/predict', { text: 'a'.repeat(1_100_000) });
  assert.equal(huge.status, 400);
  assert.match((await huge.json()).error, /more than the 1048576 allowed/);
  const unauth = await post('/v1/models/spam-filter/predict', { text: 'x' }, 'wrong');
  assert.equal(unauth.status, 401);
  const ok = await post('/v1/models/spam-filter/predict', { text: '' });
  assert.equal(ok.status, 200, 'empty text is answered');
});

test('odd text through the API: emoji and control characters answered; invalid UTF-8 and lone surrogates refused, never a crash', async () => {
  const cases = ['😀🎉🔥'.repeat(50), '\u0001\u0002\u0003\u0007\u001b[31m'.repeat(40), ''];
  for (const text of cases) {
    const res = await post('/v1/models/spam-filter/predict', { text });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.ok(['ham', 'spam'].includes(body.prediction));
    assert.ok(Number.isFinite(body.confidence));
  }
  // Bytes that are not UTF-8 inside the JSON string: refused before parsing, naming the first bad byte.
  const prefix = Buffer.from('{"text": "win a prize ');
  const raw = Buffer.concat([prefix, Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(' now"}')]);
  const res = await fetch(`${mg.url}/v1/models/spam-filter/predict`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${mg.token}` }, body: raw });
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { error: `the request body is not valid UTF-8 (first bad byte at offset ${prefix.length}); send JSON encoded as UTF-8` });
  // A lone surrogate arrives as a JSON escape in a valid UTF-8 body: the text constraints refuse it.
  const lone = await fetch(`${mg.url}/v1/models/spam-filter/predict`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${mg.token}` }, body: '{"text": "win \\ud800 now"}' });
  assert.equal(lone.status, 400);
  assert.match((await lone.json()).error, /^input '\w+': element 0 is not well-formed Unicode: it holds a lone surrogate/);
  const live = await fetch(`${mg.url}/v2/health/live`);
  assert.equal(live.status, 200);
  const again = await post('/v1/models/spam-filter/predict', { text: 'win a prize now' });
  assert.equal(again.status, 200, 'the server keeps serving');
  assert.ok(['ham', 'spam'].includes((await again.json()).prediction));
});
