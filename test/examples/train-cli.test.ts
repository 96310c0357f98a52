// The trainer's command line on a user's own files, run as a user runs it: labels in the spellings
// datasets use, progress on stderr, the summary and two artefacts on success, and clear errors with
// exit codes for a missing file, a file with one class and a bad option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCorpus, splitCorpus } from '../../examples/spam-filter/prepare-corpus.ts';
import { tempDir } from '../fixtures/server.ts';

const train = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'examples/spam-filter/train.ts', ...args], { encoding: 'utf8', timeout: 240_000 });

/** A small sample in the file shape a user would export: "Spam"/"HAM" and 1/0 labels mixed. */
function sample(dir: string): { trainFile: string; testFile: string } {
  const { train: all, test: held } = splitCorpus(loadCorpus());
  const pick = (rows: typeof all, n: number) => [...rows.filter((r) => r.label === 'spam').slice(0, n / 2), ...rows.filter((r) => r.label === 'ham').slice(0, n / 2)];
  const spell = (rows: typeof all) => rows.map((r, i) => JSON.stringify({ text: r.text, label: i % 2 === 0 ? (r.label === 'spam' ? 'Spam' : 'HAM') : r.label === 'spam' ? 1 : 0 })).join('\n') + '\n';
  const trainFile = join(dir, 'mine.jsonl');
  const testFile = join(dir, 'held-out.jsonl');
  writeFileSync(trainFile, spell(pick(all, 300)));
  writeFileSync(testFile, spell(pick(held, 100)));
  return { trainFile, testFile };
}

test('training on my own files writes the model and manifest, with progress and a summary', () => {
  const dir = tempDir('mg-train-');
  const { trainFile, testFile } = sample(dir);
  const out = join(dir, 'model');
  const run = train(['--train', trainFile, '--test', testFile, '--out', out, '--vocab-size', '2000', '--epochs', '3']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^wrote .*model\.onnx \(\d+ bytes\) and .*manifest\.json$/m);
  assert.match(run.stdout, /held-out: accuracy 0\.\d{4} .* ROC-AUC/);
  assert.ok(run.stderr.length > 0, 'progress goes to stderr');
  assert.ok(existsSync(join(out, 'model.onnx')));
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  assert.equal(manifest.metrics.confusionMatrix.tp + manifest.metrics.confusionMatrix.fn, 50, 'the held-out file\'s 50 spam were scored');
  assert.match(manifest.description, /Trained on user-supplied JSON lines files./);
});

test('bad input: a missing file and a one-class file exit 1 with the reason; a bad option exits 2', () => {
  const dir = tempDir('mg-train-');
  const missing = train(['--train', join(dir, 'nope.jsonl'), '--test', join(dir, 'nope.jsonl'), '--quiet']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^error: .*nope\.jsonl/m);
  const one = join(dir, 'one.jsonl');
  writeFileSync(one, '{"text":"a","label":"ham"}\n{"text":"b","label":0}\n');
  const oneClass = train(['--train', one, '--test', one, '--quiet']);
  assert.equal(oneClass.status, 1);
  assert.match(oneClass.stderr, /needs both "ham" and "spam" examples \(it has 0 spam of 2\)/);
  const badOption = train(['--epochs', 'many']);
  assert.equal(badOption.status, 2);
  assert.match(badOption.stderr, /run with --help for the options/);
});
