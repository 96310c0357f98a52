// The registry commands' default output, from responses shaped as the admin API sends them: a few
// lines however large the manifest, every version that failed to load with its reason, and
// server-given text never sent to the terminal raw. (test/e2e/cli.test.ts runs them against a server.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changeSummary, servingLines, versionDetail, type VersionView } from '../../src/cli/summaries.ts';

const version: VersionView = {
  name: 'spam', version: '2', stage: 'production', aliases: ['production', 'staging'], loaded: true,
  packageSha256: 'ab'.repeat(32), signerKeyId: '0123456789abcdef', createdAt: '2025-01-01T00:00:00.000Z', createdBy: 'key:ci\u001b[31m',
  validation: [{ name: 'signature', status: 'ok', detail: "ed25519 signature by trusted key '0123456789abcdef'" }],
  manifest: {
    labels: Array.from({ length: 5000 }, (_, i) => `label-${i}`),
    inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }],
    description: `${'x'.repeat(300)}\nsecond line`,
    ...({ baseline: { vocabulary: Array.from({ length: 10_000 }, (_, i) => `w${i}`) } } as object),
  },
};

test('a change is a headline, the version in two lines and the serving report', () => {
  const out = changeSummary('promoted spam version 2 to production', { version, serving: { loaded: ['spam@2'], unloaded: ['spam@1'], failed: [], kept: [] } });
  assert.equal(out, [
    'promoted spam version 2 to production',
    '  stage production, aliases production, staging, loaded',
    `  sha256 ${'ab'.repeat(32)}, signed by 0123456789abcdef`,
    'serving: loaded spam@2',
    'serving: unloaded spam@1',
    '',
  ].join('\n'));
});

test('every version that could not load is named with its reason, and what was kept serving', () => {
  assert.deepEqual(servingLines({ loaded: [], unloaded: [], failed: [{ name: 'spam', version: '3', reason: 'the ONNX graph cannot be loaded' }], kept: ['spam@2'] }), [
    'serving: FAILED to load spam@3: the ONNX graph cannot be loaded',
    'serving: kept spam@2 (the version that should replace it cannot load)',
  ]);
  assert.deepEqual(servingLines({ loaded: [], unloaded: [], failed: [], kept: [] }), ['serving: no change']);
});

test('a version in detail stays short whatever its manifest holds, and escapes control characters', () => {
  const out = versionDetail(version);
  assert.ok(out.split('\n').length < 15, out);
  assert.doesNotMatch(out, /vocabulary|w9999|label-10\b/);
  assert.match(out, /^ {2}labels label-0, .*label-9, \.\.\. \(5000\)$/m);
  assert.match(out, /^ {2}x{97}\.\.\.$/m, 'one line of description');
  assert.match(out, /by key:ci\\u001b\[31m/);
  assert.doesNotMatch(out, /\u001b/);
  assert.match(out, /^ {2}check ok signature: /m);
});
