// The command line against a running server, as an operator would use it: package, verify,
// upload, promote, roll back, run and abort a canary, alias, load, unload, archive, delete, read
// histories, verify the audit log; the short default output of the registry commands, their --json,
// and a pipe closed early.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { osUser } from '../../src/cli/package-commands.ts';
import { tempDir } from '../fixtures/server.ts';
import { freePort, startModelgate, type Running } from './process.ts';

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
  const startedAt = Math.floor(Date.now() / 1000) * 1000; // createdAt may be written to the second
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

  assert.equal(json(cli('upload', pkg, '--json')).created, true);
  assert.equal(json(cli('promote', 'spam-filter', '2', '--reason', 'retrained', '--json')).version.stage, 'production');
  assert.equal(json(cli('models', 'spam-filter', '--json')).productionVersion, '2');
  const described = json(cli('models', 'spam-filter', '2', '--json'));
  assert.deepEqual([described.version, described.stage, described.manifest.labels], ['2', 'production', ['ham', 'spam']]);
  // Built by `modelgate package`, so it says who and when (the committed example manifest does not).
  assert.equal(described.manifest.author, osUser());
  assert.ok(Date.parse(described.manifest.createdAt) >= startedAt, described.manifest.createdAt);
  assert.match(described.packageSha256, /^[0-9a-f]{64}$/);
  assert.equal(json(cli('rollback', 'spam-filter', '--reason', 'cli test', '--json')).version.version, '1');
  const history = json(cli('history', 'spam-filter', '--json')).history.map((h: { action: string }) => h.action);
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

test('every endpoint operation from the CLI: pause and resume, blue/green switch, shadow, A/B experiment', () => {
  const show = () => json(cli('endpoint', 'show', 'spam-filter'));
  const ok = (...args: string[]) => {
    const r = cli('endpoint', ...args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
    return r;
  };
  ok('canary', 'spam-filter', '--candidate', '2', '--steps', '10,100', '--bake', '1h');
  ok('pause', 'spam-filter', '--reason', 'holiday');
  assert.equal(show().rollout.state, 'paused');
  ok('resume', 'spam-filter');
  assert.equal(show().rollout.state, 'running');
  ok('abort', 'spam-filter');

  ok('set', 'spam-filter', '--policy', '{"kind":"blue-green","blue":"1","green":"2","active":"blue"}', '--reason', 'stage green');
  ok('switch', 'spam-filter');
  assert.equal(show().policy.active, 'green');
  ok('switch', 'spam-filter', '--to', 'blue');
  assert.equal(show().policy.active, 'blue');

  ok('set', 'spam-filter', '--policy', '{"kind":"single","version":"1"}');
  ok('shadow', 'spam-filter', '2', '--sample-rate', '0.5');
  assert.deepEqual(show().policy, { kind: 'shadow', primary: '1', shadow: '2', sampleRate: 0.5 });
  ok('shadow-stop', 'spam-filter');
  assert.deepEqual(show().policy, { kind: 'single', version: '1' });

  ok('experiment', 'spam-filter', '--variant', 'a=1:50', '--variant', 'b=2:50', '--positive-label', 'spam');
  assert.equal(show().policy.kind, 'ab');
  const report = json(ok('report', 'spam-filter'));
  assert.deepEqual(report.variants.map((v: { name: string }) => v.name).sort(), ['a', 'b']);
  ok('experiment-stop', 'spam-filter');
  assert.deepEqual(show().policy, { kind: 'single', version: '1' }, 'back to the policy from before the experiment');
  const actions = json(cli('endpoint', 'history', 'spam-filter', '--limit', '20')).events.map((e: { action: string }) => e.action);
  for (const a of ['pause', 'resume', 'switch', 'start-shadow', 'stop-shadow', 'start-experiment', 'stop-experiment']) assert.ok(actions.includes(a), `${a} in ${actions}`);
});

test('errors are one clear line and a non-zero exit, never a stack', async () => {
  const missing = cli('promote', 'spam-filter', '9');
  assert.equal(missing.code, 2);
  assert.match(missing.err, /^modelgate: 404: model 'spam-filter' has no version '9'\n$/);
  const badPolicy = cli('endpoint', 'set', 'spam-filter', '--policy', '{nope');
  assert.match(badPolicy.err, /--policy is not valid JSON/);
  const closed = `http://127.0.0.1:${await freePort()}`;
  const unreachable = spawnSync(process.execPath, ['bin/modelgate.js', 'models', '--admin-url', closed], { encoding: 'utf8', env: { ...process.env, MODELGATE_TOKEN: 'x' } });
  assert.equal(unreachable.stderr, `modelgate: cannot reach the admin plane at ${closed} (ECONNREFUSED); is the server running? (--admin-url or MODELGATE_ADMIN_URL)\n`);
  assert.doesNotMatch(missing.err + badPolicy.err + unreachable.stderr, /at .*\.ts:\d+/);
});

test('alias, load, unload, archive and delete a version from the CLI, each refused while it must be', () => {
  const version2 = () => json(cli('models', 'spam-filter', '--json')).versions.find((v: { version: string }) => v.version === '2');
  assert.deepEqual(json(cli('alias', 'spam-filter', 'staging', '2', '--reason', 'qa', '--json')).version.aliases, ['staging']);
  assert.match(cli('alias', 'spam-filter', 'staging').err, /give the version the alias should point at, or --remove/);
  assert.equal(cli('load', 'spam-filter', '2').code, 0);
  assert.equal(version2().loaded, true);
  const busy = cli('delete', 'spam-filter', '2');
  assert.equal(busy.code, 2);
  assert.match(busy.err, /^modelgate: 409: .*is serving traffic/);
  assert.deepEqual(json(cli('unload', 'spam-filter', '2', '--json')).serving.unloaded, ['spam-filter@2']);
  assert.equal(version2().loaded, false);
  assert.match(cli('archive', 'spam-filter', '2').err, /409: .*alias 'staging'/);
  assert.match(cli('delete', 'spam-filter', '2').err, /409: .*alias 'staging'/);
  assert.equal(cli('alias', 'spam-filter', 'staging', '--remove').code, 0);
  assert.deepEqual(json(cli('models', 'spam-filter', '--json')).aliases, { production: '1' });
  assert.equal(json(cli('archive', 'spam-filter', '2', '--reason', 'superseded', '--json')).version.stage, 'archived');
  assert.deepEqual(json(cli('delete', 'spam-filter', '2', '--json')), { blobRemoved: true });
  assert.deepEqual(json(cli('models', 'spam-filter', '--json')).versions.map((v: { version: string }) => v.version), ['1']);
  const history = json(cli('history', 'spam-filter', '--json')).history.map((h: { action: string }) => h.action);
  assert.deepEqual(history.slice(-4), ['set-alias', 'remove-alias', 'archive', 'delete']);
});

test('a version that cannot load is refused by load with the reason, audited, and deleted without an unload', () => {
  // Bytes that are no ONNX graph: the package verifies (it is signed) but the engine cannot load it.
  writeFileSync(join(work, 'broken.onnx'), 'not an onnx graph');
  writeFileSync(join(work, 'broken.json'), JSON.stringify({ name: 'broken', version: '1', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }] }));
  const pkg = join(work, 'broken-1.mgpkg');
  const key = join(mg.dataDir, 'keys', 'quickstart-signing.key');
  assert.equal(cli('package', '--model', join(work, 'broken.onnx'), '--manifest', join(work, 'broken.json'), '--key', key, '--out', pkg, '--author', 'ci-bot').code, 0);
  assert.equal(json(cli('upload', pkg, '--json')).version.manifest.author, 'ci-bot');
  // Since load warms the version before anything is recorded (docs/registry.md), a version that
  // cannot load is refused, not kept assigned: nothing stands in the way of deleting it.
  const load = cli('load', 'broken', '1');
  assert.equal(load.code, 2);
  assert.match(load.err, /^modelgate: 409: version '1' of 'broken' cannot be loaded: \S/);
  const exported = cli('audit', 'export', '--data-dir', mg.dataDir, '--model', 'broken', '--kind', 'rejected');
  assert.equal(exported.code, 0, exported.err);
  const details = exported.out.trim().split('\n').map((line) => JSON.parse(JSON.parse(line).detail_json));
  // The engine's refusal of the graph, then the refused request that it led to.
  assert.deepEqual(details.map((d) => d.code), ['MG_PACKAGE_INVALID', 'MG_CONFLICT']);
  assert.deepEqual([details[0].action, details[0].target], ['load', 'broken@1']);
  assert.deepEqual(json(cli('delete', 'broken', '1', '--json')), { blobRemoved: true });
});

test('registry commands print a few lines by default and the whole record with --json', () => {
  // Version 2 was deleted above; its package file is still there to upload again.
  const uploaded = cli('upload', join(work, 'spam-filter-2.mgpkg'));
  assert.equal(uploaded.code, 0, uploaded.err);
  assert.match(uploaded.out, /^registered spam-filter version 2\n {2}stage registered, aliases -, not loaded\n {2}sha256 [0-9a-f]{64}, signed by [0-9a-f]{16}\n$/);
  const again = cli('upload', join(work, 'spam-filter-2.mgpkg'));
  assert.match(again.out, /^spam-filter version 2 was already registered with this package\n/);
  const promoted = cli('promote', 'spam-filter', '2', '--reason', 'summary');
  assert.equal(promoted.code, 0, promoted.err);
  assert.match(promoted.out, /^promoted spam-filter version 2 to production\n {2}stage production, aliases production, loaded\n {2}sha256 [0-9a-f]{64}, signed by [0-9a-f]{16}\n/);
  assert.match(promoted.out, /^serving: loaded spam-filter@2$/m);
  const alias = cli('alias', 'spam-filter', 'staging', '1');
  assert.match(alias.out, /^alias staging of spam-filter points at version 1\n {2}stage staging, aliases staging/);
  const rolled = cli('rollback', 'spam-filter', '--reason', 'summary');
  assert.match(rolled.out, /^rolled spam-filter back: production is version 1\n {2}stage production, aliases production, staging, loaded\n/);
  assert.match(cli('alias', 'spam-filter', 'staging', '--remove').out, /^removed alias staging of spam-filter\n/);
  // The version record: a dozen lines by default, the manifest's baseline and vocabulary with --json.
  const brief = cli('models', 'spam-filter', '2');
  assert.equal(brief.code, 0, brief.err);
  assert.match(brief.out, /^spam-filter version 2\n {2}stage \w+, aliases -, not loaded\n/);
  assert.match(brief.out, /^ {2}labels ham, spam$/m);
  assert.match(brief.out, /^ {2}check ok signature: /m);
  assert.ok(brief.out.split('\n').length < 30, brief.out);
  const full = cli('models', 'spam-filter', '2', '--json');
  assert.ok(json(full).manifest.baseline, 'the whole record, baseline included');
  assert.ok(full.out.split('\n').length > 1000, `${full.out.split('\n').length} lines`);
  const models = cli('models').out;
  assert.match(models, /^MODEL\s+PRODUCTION\s+ALIASES\s+VERSIONS\s+LOADED\n/);
  assert.match(models, /^spam-filter\s+1\s+production=1\s+1, 2\s+1$/m);
  assert.match(cli('models', 'spam-filter').out, /^spam-filter: production 1, aliases production=1\nVERSION\s+STAGE/);
  assert.match(cli('history', 'spam-filter').out, /^ID\s+AT\s+ACTION\s+VERSION\s+ACTOR\s+REASON\n/);
  for (const command of ['upload', 'models', 'history', 'promote', 'rollback', 'archive', 'delete', 'load', 'unload', 'alias']) {
    assert.match(cli(command, '--help').out, /--json\s+print the server response as JSON/, `${command} --help documents --json`);
  }
});

test('output into a pipe that closes early (| head) ends quietly with status 0', () => {
  const full = cli('models', 'spam-filter', '2', '--json');
  // More than a pipe holds (64 KiB) and head reads, so the command is still writing when head has gone.
  assert.ok(full.out.length > 2 * 65_536, `${full.out.length} bytes`);
  const r = spawnSync('bash', ['-c', 'set -o pipefail; node bin/modelgate.js models spam-filter 2 --json | head -n 1'], {
    encoding: 'utf8', env: { ...process.env, MODELGATE_ADMIN_URL: mg.adminUrl, MODELGATE_TOKEN: mg.token },
  });
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, '{\n');
});

test('the audit log of everything above verifies from the command line', () => {
  const r = cli('audit', 'verify', '--data-dir', mg.dataDir, '--json');
  assert.equal(r.code, 0, r.out + r.err);
  const report = JSON.parse(r.out);
  assert.equal(report.ok, true);
  assert.ok(report.checked > 5, `records checked: ${report.checked}`);
});
