// Files named on the command line that cannot be read are refused in one line naming the file and
// the reason (not found, permission denied, a folder), exit 2 like every usage error, never Node's
// "ENOENT: no such file or directory, open ...". And an existing output names the flag that replaces it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog } from '../../src/audit/index.ts';
import { fileReason } from '../../src/errors.ts';
import { tempDir } from '../fixtures/server.ts';
import { appendMany, testKey } from '../audit/helpers.ts';
import { sqliteTarget } from '../store/targets.ts';
import { oneLine, runCli, type CliResult } from './run.ts';

const dir = tempDir('mg-files-');
after(() => rmSync(dir, { recursive: true, force: true }));
const missing = join(dir, 'nonexist.mgpkg');
const asRoot = process.getuid?.() === 0;

function refused(r: CliResult, message: string): void {
  assert.equal(r.code, 2, r.err);
  assert.equal(oneLine(r), `modelgate: ${message}`);
}

describe('upload', () => {
  const env = { MODELGATE_TOKEN: 'x', MODELGATE_ADMIN_URL: 'http://127.0.0.1:9' };
  test('a package file that does not exist is named, with "not found", before any request', async () => {
    refused(await runCli(['upload', missing], env), `cannot read package file ${missing}: not found`);
  });
  test('a folder given as the package file', async () => {
    refused(await runCli(['upload', dir], env), `cannot read package file ${dir}: is a folder, not a file`);
  });
  test('a package file this user may not read is worded "permission denied"', async () => {
    // Root (CI) reads any file whatever its mode, and running the CLI as another user needs the
    // checkout to be readable by that user; so the wording is checked on the error itself.
    assert.equal(fileReason(Object.assign(new Error('open'), { code: 'EACCES' })), 'permission denied');
    assert.equal(fileReason(Object.assign(new Error('open'), { code: 'EPERM' })), 'permission denied');
    if (asRoot) return;
    const locked = join(dir, 'locked.mgpkg');
    writeFileSync(locked, 'x');
    chmodSync(locked, 0o000);
    refused(await runCli(['upload', locked], env), `cannot read package file ${locked}: permission denied`);
  });
});

describe('audit verify --trust', () => {
  const target = sqliteTarget();
  const dataDir = join(target.dir, 'data');
  before(async () => {
    const store = await target.open();
    const log = await AuditLog.open(store, { signer: testKey().signer });
    await appendMany(log, 3);
    await log.close();
    await store.close();
  });
  after(() => target.cleanup());

  test('a trusted key file that does not exist is named, with "not found"', async () => {
    const pem = join(dir, 'missing.pem');
    refused(await runCli(['audit', 'verify', '--data-dir', dataDir, '--trust', pem]), `cannot read trusted key file ${pem}: not found`);
  });
  test('a folder given as the trusted key file', async () => {
    refused(await runCli(['audit', 'verify', '--data-dir', dataDir, '--trust', dir]), `cannot read trusted key file ${dir}: is a folder, not a file`);
  });
});

describe('verify, package and keygen', () => {
  test('verify names a missing package file and a missing trusted key path with the reason', async () => {
    refused(await runCli(['verify', missing, '--trust', dir]), `cannot read package file ${missing}: not found`);
    const keys = join(dir, 'verify-keys');
    mkdirSync(keys);
    const pem = join(keys, 'nope.pub');
    writeFileSync(join(keys, 'p.mgpkg'), 'x');
    refused(await runCli(['verify', join(keys, 'p.mgpkg'), '--trust', pem]), `cannot read trusted key (--trust) ${pem}: not found`);
  });

  test('package names each missing input by its flag, and an output folder that does not exist', async () => {
    const keys = join(dir, 'keys');
    assert.equal((await runCli(['keygen', '--out', keys])).code, 0);
    const key = join(keys, 'signing.key');
    const model = 'examples/models/spam-filter/1/model.onnx';
    const manifest = 'examples/models/spam-filter/1/manifest.json';
    const base = ['package', '--model', model, '--manifest', manifest, '--key', key];
    refused(await runCli(['package', '--model', join(dir, 'm.onnx'), '--manifest', manifest, '--key', key, '--out', join(dir, 'o.mgpkg')]), `cannot read model file (--model) ${join(dir, 'm.onnx')}: not found`);
    refused(await runCli(['package', '--model', model, '--manifest', manifest, '--key', join(dir, 'k.key'), '--out', join(dir, 'o.mgpkg')]), `cannot read signing key file (--key) ${join(dir, 'k.key')}: not found`);
    refused(await runCli([...base, '--file', join(dir, 'README'), '--out', join(dir, 'o.mgpkg')]), `cannot read extra file (--file) ${join(dir, 'README')}: not found`);
    const out = join(dir, 'no-such-folder', 'o.mgpkg');
    refused(await runCli([...base, '--out', out]), `cannot write package file (--out) ${out}: folder ${join(dir, 'no-such-folder')} does not exist`);
  });

  test('an existing package or key file is refused naming --force, and --force replaces it', async () => {
    const keys = join(dir, 'force-keys');
    assert.equal((await runCli(['keygen', '--out', keys])).code, 0);
    refused(await runCli(['keygen', '--out', keys]), `${join(keys, 'signing.key')} already exists; refusing to overwrite it without --force`);
    assert.equal((await runCli(['keygen', '--out', keys, '--force'])).code, 0);
    const out = join(dir, 'm.mgpkg');
    const args = ['package', '--model', 'examples/models/spam-filter/1/model.onnx', '--manifest', 'examples/models/spam-filter/1/manifest.json', '--key', join(keys, 'signing.key'), '--out', out];
    assert.equal((await runCli(args)).code, 0);
    refused(await runCli(args), `${out} already exists; refusing to overwrite it without --force`);
    const replaced = await runCli([...args, '--force']);
    assert.equal(replaced.code, 0, replaced.err);
  });

  test('keygen --out naming a file is refused before anything is written', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    refused(await runCli(['keygen', '--out', file]), `key folder (--out) ${file} is a file, not a folder`);
  });
});

test('serve --config naming a missing file says so', async () => {
  const file = join(dir, 'modelgate.json');
  refused(await runCli(['serve', '--config', file]), `config file ${file} cannot be read: not found`);
  mkdirSync(join(dir, 'conf.d'));
  refused(await runCli(['serve', '--config', join(dir, 'conf.d')]), `config file ${join(dir, 'conf.d')} cannot be read: is a folder, not a file`);
});
