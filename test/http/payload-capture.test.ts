// Payload capture per model through the real server: a model that asks for it keeps a redacted copy of
// the inputs as received in its audit records, sampled by request id; other models keep only the hash.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { makeSigner, packageOf, trusting } from '../fixtures/packages.ts';
import { tempDir, testServer, type TestServer } from '../fixtures/server.ts';

const MODEL = readFileSync('examples/models/spam-filter/1/model.onnx');
const MANIFEST = JSON.parse(readFileSync('examples/models/spam-filter/1/manifest.json', 'utf8'));
let t: TestServer;

before(async () => {
  const signer = makeSigner();
  const config = join(tempDir(), 'modelgate.json');
  writeFileSync(config, JSON.stringify({
    rateLimits: { perPrincipal: null, perModel: null },
    models: {
      'spam-captured': { payloadCapture: { sampleRate: 1, redact: ['email', 'phone'], maxChars: 200 } },
      'spam-half': { payloadCapture: { sampleRate: 0.5 } },
      'spam-off': { payloadCapture: { capture: false, sampleRate: 1 } },
    },
  }));
  t = await testServer(undefined, trusting(signer), config);
  for (const name of ['spam-filter', 'spam-captured', 'spam-half', 'spam-off']) {
    const pkg = await packageOf(signer, MODEL, { ...MANIFEST, name });
    assert.equal((await t.server.admin.inject({ method: 'POST', url: '/admin/packages', payload: pkg, headers: { ...t.auth, 'content-type': 'application/octet-stream' } })).statusCode, 201);
    await t.server.admin.inject({ method: 'POST', url: `/admin/models/${name}/versions/1/promote`, payload: {}, headers: t.auth });
  }
});
after(() => t.close());

const predict = (model: string, text: string) =>
  t.server.inference.inject({ method: 'POST', url: `/v1/models/${model}/predict`, payload: { text }, headers: t.auth });

async function recordOf(requestId: string): Promise<{ payload_json: string | null; input_sha256: string }> {
  const res = await t.server.admin.inject({ method: 'GET', url: `/admin/audit/records?requestId=${requestId}`, headers: t.auth });
  const records = res.json().records;
  assert.equal(records.length, 1);
  return records[0];
}

const MAIL = 'Subject: invoice\n\nWrite to anna.berg@example.org or call +44 20 7946 0958 from 10.0.0.7. ' + 'x'.repeat(400);

test('a model with capture keeps the inputs as received, redacted and cut, in the audit record', async () => {
  const res = await predict('spam-captured', MAIL);
  assert.equal(res.statusCode, 200);
  const record = await recordOf(String(res.headers['x-request-id']));
  assert.match(record.input_sha256, /^[0-9a-f]{64}$/);
  const payload = JSON.parse(record.payload_json!);
  assert.deepEqual(payload.redacted, ['email', 'phone']);
  assert.equal(payload.inputs.length, 1);
  const [input] = payload.inputs;
  assert.deepEqual([input.name, input.datatype, input.shape], ['text', 'BYTES', [1]]);
  const text: string = input.text[0];
  assert.equal(text.length, 200, 'cut at maxChars');
  assert.match(text, /Write to \[EMAIL\] or call \[PHONE\] from 10\.0\.0\.7/, 'only the kinds asked for are masked');
  assert.doesNotMatch(text, /anna\.berg|7946/);
});

test('models without capture, or with capture false, keep only the hash; sampling follows the rate', async () => {
  for (const model of ['spam-filter', 'spam-off']) {
    const res = await predict(model, MAIL);
    assert.equal(res.statusCode, 200);
    assert.equal((await recordOf(String(res.headers['x-request-id']))).payload_json, null, model);
  }
  let captured = 0;
  const n = 60;
  for (let i = 0; i < n; i++) {
    const res = await predict('spam-half', `message ${i} from bob@example.com`);
    const record = await recordOf(String(res.headers['x-request-id']));
    if (record.payload_json !== null) {
      captured++;
      assert.match(JSON.parse(record.payload_json).inputs[0].text[0], /^message \d+ from \[EMAIL\]$/);
    }
  }
  // Binomial(60, 0.5): outside 12..48 has probability below 1e-5.
  assert.ok(captured >= 12 && captured <= 48, `${captured} of ${n} captured at rate 0.5`);
});

test('a capture policy with a bad rate or an unknown redaction is refused at start with its path', () => {
  const file = join(tempDir(), 'bad.json');
  writeFileSync(file, JSON.stringify({ models: { m: { payloadCapture: { sampleRate: 2 } } } }));
  assert.throws(() => loadConfig({ file, env: {}, flags: {} }), /payloadCapture.*sampleRate|sampleRate.*payloadCapture/s);
  writeFileSync(file, JSON.stringify({ models: { m: { payloadCapture: { sampleRate: 1, redact: ['ssn'] } } } }));
  assert.throws(() => loadConfig({ file, env: {}, flags: {} }), /redact/);
});
