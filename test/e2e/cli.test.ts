// The command line against a running server, as an operator would use it: package, verify,
// upload, promote, roll back, run and abort a canary, read histories, verify the audit log.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../fixtures/server.ts';
import { startModelgate, type Running } from './process.ts';

let mg: Running;
const work = tempDir('mg-cli-');

before(async () => {
  mg = await startModelgate('quickstart', ['--rollout-tick-ms', '0']);
});
after(async () => {
  mg.proc.kill('SIGTERM');
  await mg.exited;
});

function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['bin/modelgate.js', ...args], { encoding: 'utf8', env: { ...process.env, MODELGATE_ADMIN_URL: mg.adminUrl, MODELGATE_TOKEN: mg.token } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function json(r: { code: number | null; out: string; err: string }): any {
  try {
    return JSON.parse(r.out);
  } catch {
    throw new Error(`the command printed no JSON (exit ${r.code}): ${r.out.slice(0, 300)} ${r.err.slice(0, 300)}`);
  }
}

test('package, verify and upload a second version, then promote and roll back', () => {
  const manifest = JSON.parse(readFileSync('examples/models/spam-filter/1/manifest.json', 'utf8'));
  writeFileSync(join(work, 'manifest.json'), JSON.stringify({ ...manifest, version: '2' }));
  const pkg = join(work, 'spam-filter-2.mgpkg');
  const built = cli('package', '--model', 'examples/models/spam-filter/1/model.onnx', '--manifest', join(work, 'manifest.json'), '--key', join(mg.dataDir, 'keys', 'quickstart-signing.key'), '--out', pkg);
  assert.equal(built.code, 0, built.err);
  assert.match(built.out, /spam-filter version 2, signed by [0-9a-f]{16}/);
  const verified = cli('verify', pkg, '--trust', join(mg.dataDir, 'keys', 'trusted'));
  assert.equal(verified.code, 0, verified.out + verified.err);
  assert.match(verified.out, /is valid/);
  const stranger = tempDir('mg-stranger-');
  assert.equal(cli('keygen', '--out', stranger).code, 0);
  const refused = cli('verify', pkg, '--trust', join(stranger, 'signing.pub'));
  assert.equal(refused.code, 1);
  assert.match(refused.out, /FAILED\s+signature: the package is signed by key .*, which is not trusted/);

  assert.equal(json(cli('upload', pkg)).created, true);
  assert.equal(json(cli('promote', 'spam-filter', '2', '--reason', 'retrained')).version.stage, 'production');
  assert.equal(json(cli('models', 'spam-filter')).productionVersion, '2');
  const described = json(cli('models', 'spam-filter', '2'));
  assert.deepEqual([described.version, described.stage, described.manifest.labels], ['2', 'production', ['ham', 'spam']]);
  assert.match(described.packageSha256, /^[0-9a-f]{64}$/);
  assert.equal(json(cli('rollback', 'spam-filter', '--reason', 'cli test')).version.version, '1');
  const history = json(cli('history', 'spam-filter')).history.map((h: { action: string }) => h.action);
  assert.deepEqual(history.slice(-2), ['promote', 'rollback']);
});

test('a canary started from the CLI shows in its status and is aborted with a reason', () => {
  const started = cli('endpoint', 'canary', 'spam-filter', '--candidate', '2', '--steps', '10,100', '--bake', '1h', '--reason', 'try v2');
  assert.equal(started.code, 0, started.err);
  const shown = json(cli('endpoint', 'show', 'spam-filter'));
  assert.deepEqual([shown.policy.kind, shown.policy.candidate, shown.candidateWeight], ['canary', '2', 10]);
  assert.equal(cli('endpoint', 'abort', 'spam-filter', '--reason', 'enough').code, 0);
  const events = json(cli('endpoint', 'history', 'spam-filter')).events;
  const abort = events.find((e: { action: string }) => e.action === 'abort');
  assert.equal(abort.reason, 'enough');
  assert.equal(json(cli('endpoint', 'show', 'spam-filter')).policy.kind, 'single');
});

test('errors are one clear line and a non-zero exit, never a stack', () => {
  const missing = cli('promote', 'spam-filter', '9');
  assert.equal(missing.code, 2);
  assert.match(missing.err, /^modelgate: 404: model 'spam-filter' has no version '9'\n$/);
  const badPolicy = cli('endpoint', 'set', 'spam-filter', '--policy', '{nope');
  assert.match(badPolicy.err, /--policy is not valid JSON/);
  const unreachable = spawnSync(process.execPath, ['bin/modelgate.js', 'models', '--admin-url', 'http://127.0.0.1:1'], { encoding: 'utf8', env: { ...process.env, MODELGATE_TOKEN: 'x' } });
  assert.match(unreachable.stderr, /cannot reach the admin plane at http:\/\/127.0.0.1:1/);
  assert.doesNotMatch(missing.err + badPolicy.err + unreachable.stderr, /at .*\.ts:\d+/);
});

test('the audit log of everything above verifies from the command line', () => {
  const r = cli('audit', 'verify', '--data-dir', mg.dataDir, '--json');
  assert.equal(r.code, 0, r.out + r.err);
  const report = JSON.parse(r.out);
  assert.equal(report.ok, true);
  assert.ok(report.checked > 5, `records checked: ${report.checked}`);
});
