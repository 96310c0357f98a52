// Extraction verdicts through the real server and the real spam filter: a principal the detector
// blocks is listed for auditors, stays blocked across a restart (the level is in the store), and is
// served again once an admin lifts the level; the lift is audited and a second lift finds nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractionCommand } from '../../src/cli/extraction.ts';
import { makeSigner, packageOf, trusting, type Signer } from '../fixtures/packages.ts';
import { tempDir, testServer, type TestServer } from '../fixtures/server.ts';

const MODEL = readFileSync('examples/models/spam-filter/1/model.onnx');
const MANIFEST = JSON.parse(readFileSync('examples/models/spam-filter/1/manifest.json', 'utf8'));
// Volume alone reaches critical (score 5) after 3 rows: the default ladder blocks at critical.
const SETTINGS = { rateLimits: { perPrincipal: null, perModel: null }, extraction: { volume: { maxQueries: 3, weight: 5 } } };
const MAIL = ['Hi Anna, the patch is in CVS.', 'Lunch on Friday?', 'The build is green again.', 'Minutes of the meeting attached.'];

let signer: Signer;
let config: string;
let dataDir: string;
let t: TestServer;
let key: string;
let keyPrincipal: string;

const start = () => testServer(undefined, trusting(signer, { dataDir }), config);
const predict = (k = key) => t.server.inference.inject({ method: 'POST', url: '/v1/models/spam-filter/predict', payload: { text: MAIL[0] }, headers: { authorization: `Bearer ${k}` } });
const admin = (method: 'GET' | 'DELETE', url: string, auth = t.auth) => t.server.admin.inject({ method, url, headers: auth });
const lift = (principal = keyPrincipal) => admin('DELETE', `/admin/models/spam-filter/extraction/${encodeURIComponent(principal)}`);

before(async () => {
  signer = makeSigner();
  const dir = tempDir();
  config = join(dir, 'modelgate.json');
  dataDir = join(dir, 'data');
  writeFileSync(config, JSON.stringify(SETTINGS));
  t = await start();
  const pkg = await packageOf(signer, MODEL, MANIFEST);
  assert.equal((await t.server.admin.inject({ method: 'POST', url: '/admin/packages', payload: pkg, headers: { ...t.auth, 'content-type': 'application/octet-stream' } })).statusCode, 201);
  assert.equal((await t.server.admin.inject({ method: 'POST', url: '/admin/models/spam-filter/versions/1/promote', payload: {}, headers: t.auth })).statusCode, 200);
  const res = await t.server.admin.inject({ method: 'POST', url: '/admin/keys', payload: { name: 'scraper', roles: ['predictor'], models: ['*'] }, headers: t.auth });
  key = res.json().key;
  keyPrincipal = `key:${res.json().record.id}`;
});
after(() => t.close());

test('a blocked principal is listed, stays blocked across a restart, and is served again after a lift', async () => {
  for (const text of MAIL.slice(0, 3)) {
    const res = await t.server.inference.inject({ method: 'POST', url: '/v1/models/spam-filter/predict', payload: { text }, headers: { authorization: `Bearer ${key}` } });
    assert.equal(res.statusCode, 200);
  }
  const refused = await predict();
  assert.equal(refused.statusCode, 403);
  assert.match(refused.json().error, /suspended/);
  assert.equal((await predict()).statusCode, 403);
  const metrics = (await admin('GET', '/metrics')).body;
  assert.match(metrics, /^modelgate_rejections_total\{plane="inference",reason="extraction",model="spam-filter",version=""\} 2$/m, 'each block counted once, as extraction');
  assert.doesNotMatch(metrics, /reason="auth"/, 'and not as an authentication failure');
  const other = await t.server.admin.inject({ method: 'POST', url: '/admin/keys', payload: { name: 'customer', roles: ['predictor'], models: ['*'] }, headers: t.auth });
  assert.equal((await predict(other.json().key)).statusCode, 200, 'another principal is still served');

  const [listed] = (await admin('GET', '/admin/extraction')).json().principals;
  assert.deepEqual(
    { principal: listed.principal, model: listed.model, level: listed.level, action: listed.action, local: listed.local, shared: listed.shared, queries: listed.queries },
    { principal: keyPrincipal, model: 'spam-filter', level: 'critical', action: 'block', local: 'critical', shared: 'critical', queries: 3 },
  );
  assert.match(listed.reason, /score 5 after 3 queries/);
  assert.deepEqual((await admin('GET', '/admin/extraction?model=other-model')).json().principals, []);

  // A restart forgets the detector's memory, not the level.
  await t.server.close();
  t = await start();
  assert.equal((await predict()).statusCode, 403, 'still blocked after a restart');
  const [restored] = (await admin('GET', '/admin/extraction')).json().principals;
  assert.deepEqual([restored.level, restored.local, restored.shared], ['critical', 'none', 'critical']);

  const lifted = await lift();
  assert.equal(lifted.statusCode, 200);
  assert.deepEqual(lifted.json(), { principal: keyPrincipal, model: 'spam-filter', before: 'critical', level: 'none' });
  assert.equal((await predict()).statusCode, 200, 'served again');
  assert.deepEqual((await admin('GET', '/admin/extraction')).json().principals, []);
  const again = await lift();
  assert.equal(again.statusCode, 404);
  assert.match(again.json().error, /no extraction level is held/);

  const records = (await admin('GET', '/admin/audit/records?kind=admin')).json().records as { detail_json: string; principal: string }[];
  const audited = records.map((r) => JSON.parse(r.detail_json)).find((d) => d.action === 'lift-extraction-level');
  assert.deepEqual(audited && { target: audited.target, before: audited.before, after: audited.after }, { target: keyPrincipal, before: 'critical', after: 'none' });
});

test('the lift route refuses bad names and control characters with 400, and the server keeps serving', async () => {
  assert.equal((await admin('DELETE', '/admin/models/..%2Fetc/extraction/someone')).statusCode, 400);
  assert.equal((await admin('DELETE', `/admin/models/spam-filter/extraction/${encodeURIComponent('a\u0000b')}`)).statusCode, 400);
  assert.equal((await admin('GET', '/admin/extraction?model=a/b')).statusCode, 400);
  assert.equal((await admin('GET', '/admin/extraction?colour=red')).statusCode, 400);
  // A long JWT principal (issuer URL + subject) reaches the route: 404 for nobody held, not a router error.
  const long = `jwt:https://login.microsoftonline.com/${'0'.repeat(36)}/v2.0:${'a'.repeat(80)}`;
  const unknown = await lift(long);
  assert.equal(unknown.statusCode, 404);
  assert.match(unknown.json().error, /no extraction level is held for principal 'jwt:https:\/\/login/);
  assert.equal((await predict()).statusCode, 200);
});

test('the extraction CLI over a real socket: list shows the blocked principal, lift serves it again', async () => {
  const { adminUrl } = await t.server.listen();
  const tokenFile = join(tempDir(), 'admin.token');
  writeFileSync(tokenFile, `${t.token}\n`, { mode: 0o600 });
  const run = async (...args: string[]) => {
    let out = '';
    await extractionCommand({ out: (s) => void (out += s), err: () => undefined }).parseAsync([...args, '--admin-url', adminUrl, '--token-file', tokenFile], { from: 'user' });
    return out;
  };
  assert.equal(await run('list'), 'no principal is flagged\n');
  for (let i = 0; i < 3; i++) await predict();
  assert.equal((await predict()).statusCode, 403);
  const listed = await run('list', '--model', 'spam-filter');
  assert.match(listed, /^PRINCIPAL +MODEL +LEVEL +ACTION +HERE +STORED +QUERIES/);
  assert.match(listed, new RegExp(`${keyPrincipal} +spam-filter +critical +block +critical +critical +3 `));
  assert.equal(await run('lift', 'spam-filter', keyPrincipal), `lifted ${keyPrincipal} on spam-filter (was critical)\n`);
  assert.equal((await predict()).statusCode, 200);
  await assert.rejects(run('lift', 'spam-filter', keyPrincipal), { message: /404: no extraction level is held/ });
});
