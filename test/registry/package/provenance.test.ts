// Who built a package and when: `modelgate package` records author and createdAt in the signed
// manifest (flags, then the manifest's own values, then the OS user and now); library callers that
// pass neither keep byte-identical builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPackageFile, loadTrustStore, openPackage, writeSigningKeyPair } from '../../../src/registry/package/index.ts';
import { osUser } from '../../../src/cli/package-commands.ts';
import { fakeModel, sampleManifest } from './fixtures.ts';

async function workspace(t: { after: (fn: () => Promise<void>) => void }, manifest: Record<string, unknown>) {
  const dir = await mkdtemp(join(tmpdir(), 'mg-provenance-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const keys = await writeSigningKeyPair({ outDir: join(dir, 'keys') });
  await writeFile(join(dir, 'm.onnx'), fakeModel());
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const base = { modelPath: join(dir, 'm.onnx'), manifestPath: join(dir, 'manifest.json'), keyPath: keys.privateKeyPath };
  const opened = async (path: string) => (await openPackage(await readFile(path), { trustedKeys: await loadTrustStore([keys.publicKeyPath]) })).manifest;
  return { dir, base, opened };
}

test('defaults fill what the manifest lacks, flags replace it, and neither keeps builds identical', async (t) => {
  const { dir, base, opened } = await workspace(t, { ...sampleManifest(), author: 'from-manifest' });
  const defaults = { author: 'os-user', createdAt: '2026-01-02T03:04:05.000Z' };
  const filled = await buildPackageFile({ ...base, outPath: join(dir, 'a.mgpkg'), provenanceDefaults: defaults });
  assert.deepEqual([filled.manifest.author, filled.manifest.createdAt], ['from-manifest', '2026-01-02T03:04:05.000Z']);
  assert.equal((await opened(join(dir, 'a.mgpkg'))).createdAt, '2026-01-02T03:04:05.000Z', 'signed into the package');

  const given = await buildPackageFile({
    ...base, outPath: join(dir, 'b.mgpkg'), provenanceDefaults: defaults, provenance: { author: 'ci-bot', createdAt: '2026-05-06T07:08:09+02:00' },
  });
  assert.deepEqual([given.manifest.author, given.manifest.createdAt], ['ci-bot', '2026-05-06T07:08:09+02:00']);
  await assert.rejects(buildPackageFile({ ...base, outPath: join(dir, 'c.mgpkg'), provenance: { createdAt: 'yesterday' } }), {
    code: 'MG_PACKAGE_INVALID', message: /createdAt/,
  });

  // What the quickstart does: no provenance asked for, no clock read, the same bytes every time.
  const once = await buildPackageFile({ ...base, outPath: join(dir, 'd.mgpkg') });
  const twice = await buildPackageFile({ ...base, outPath: join(dir, 'e.mgpkg') });
  assert.equal(once.manifest.createdAt, undefined);
  assert.equal(once.packageSha256, twice.packageSha256);
});

test('modelgate package records the OS user and the build time unless told otherwise', async (t) => {
  const { dir, base, opened } = await workspace(t, sampleManifest());
  const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/modelgate.js', 'package', '--model', base.modelPath, '--manifest', base.manifestPath, '--key', base.keyPath, ...args], { encoding: 'utf8' });
  const before = new Date().toISOString();
  const plain = cli('--out', join(dir, 'plain.mgpkg'));
  assert.equal(plain.status, 0, plain.stderr);
  const manifest = await opened(join(dir, 'plain.mgpkg'));
  assert.equal(manifest.author, osUser());
  assert.ok(manifest.createdAt !== undefined && manifest.createdAt >= before && manifest.createdAt <= new Date().toISOString(), manifest.createdAt);
  assert.ok(plain.stdout.includes(`built by ${osUser()} at ${manifest.createdAt}`), plain.stdout);

  const pinned = cli('--out', join(dir, 'pinned.mgpkg'), '--author', 'release-bot', '--created-at', '2026-01-01T00:00:00Z');
  assert.equal(pinned.status, 0, pinned.stderr);
  const m = await opened(join(dir, 'pinned.mgpkg'));
  assert.deepEqual([m.author, m.createdAt], ['release-bot', '2026-01-01T00:00:00Z']);
  const bad = cli('--out', join(dir, 'bad.mgpkg'), '--created-at', 'last tuesday');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /createdAt/);
});
