// Trains the example spam filter once on the SpamAssassin split and checks what the issue promises: the
// quality bar, graph/model agreement on every held-out message, and byte-identical committed artifacts.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS_SOURCE, loadCorpus, splitCorpus } from '../../examples/spam-filter/prepare-corpus.ts';
import { DEFAULT_OPTIONS, trainSpamFilter, writeArtifacts, type TrainResult } from '../../examples/spam-filter/pipeline.ts';
import { openSpamSession, runSpamGraph } from '../../examples/spam-filter/onnx-predict.ts';
import type { LabelledText } from '../../examples/spam-filter/jsonl.ts';

const COMMITTED = 'examples/models/spam-filter/1';
const BATCH = 16;

describe('spam filter trained on the SpamAssassin split', () => {
  let result: TrainResult;
  let test: LabelledText[];
  let outDir: string;

  before(() => {
    const split = splitCorpus(loadCorpus());
    test = split.test;
    result = trainSpamFilter({ train: split.train, test: split.test, source: CORPUS_SOURCE }, DEFAULT_OPTIONS);
    outDir = mkdtempSync(join(tmpdir(), 'spam-filter-'));
    writeArtifacts(outDir, result);
  });

  it('meets the quality bar on the held-out split', () => {
    const m = result.metrics;
    assert.equal(m.support.total, test.length);
    assert.ok(m.accuracy >= 0.99, `accuracy ${m.accuracy}`);
    assert.ok(m.f1 >= 0.98, `F1 ${m.f1}`);
    assert.ok(m.rocAuc >= 0.995, `ROC-AUC ${m.rocAuc}`);
    const { tp, fp, tn, fn } = m.confusionMatrix;
    assert.equal(tp + fp + tn + fn, test.length);
    assert.equal(tp + fn, test.filter((r) => r.label === 'spam').length);
  });

  it('reproduces the committed model.onnx and manifest.json byte for byte', () => {
    try {
      for (const file of ['model.onnx', 'manifest.json']) {
        const fresh = readFileSync(join(outDir, file));
        const committed = readFileSync(join(COMMITTED, file));
        assert.ok(fresh.equals(committed), `${file} differs from ${COMMITTED}/${file}: run npm run train:spam and commit`);
      }
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });

  it('the ONNX graph in onnxruntime agrees with the in-memory model on every held-out message', async () => {
    const session = await openSpamSession(result.onnx);
    let checked = 0;
    // Batches mix messages of very different lengths, so padding in the Tokenizer output is exercised too.
    for (let start = 0; start < test.length; start += BATCH) {
      const rows = test.slice(start, start + BATCH);
      const graph = await runSpamGraph(session, rows.map((r) => r.text));
      rows.forEach((row, i) => {
        const mine = result.model.predictTokens(result.testTokens[start + i]);
        const where = `held-out message ${start + i}`;
        assert.equal(graph.labels[i], mine.label, `${where}: label`);
        assert.ok(Math.abs(graph.probabilities[i][1] - mine.probabilities[1]) < 1e-4, `${where}: ${graph.probabilities[i][1]} vs ${mine.probabilities[1]}`);
        assert.ok(Math.abs(graph.probabilities[i][0] - mine.probabilities[0]) < 1e-4, `${where}: ham probability`);
        checked++;
      });
    }
    assert.equal(checked, test.length);
  });

  it('agrees with the in-memory model on hostile and odd inputs too', async () => {
    const session = await openSpamSession(result.onnx);
    const spammy = test.find((r) => r.label === 'spam')!.text;
    const texts = [
      '', '\u{1F600}\u{1F4B0}\u{1F525}', '\u0001\u0002\u0007\u001b[0m', '\uFFFD\uFFFD', 'FREE MONEY!!! $$$ CLICK HERE',
      '\u212Aelvin \u0130stanbul', 'caf\u00e9 na\u00efve \u00dcBER', `hello\u0000${spammy}`, spammy.toUpperCase(),
      'x'.repeat(1_048_576), 'word '.repeat(200_000),
    ];
    const graph = await runSpamGraph(session, texts);
    texts.forEach((text, i) => {
      const mine = result.model.predict(text);
      assert.equal(graph.labels[i], mine.label, `input ${i}: label`);
      assert.ok(Math.abs(graph.probabilities[i][1] - mine.probabilities[1]) < 1e-4, `input ${i}: probability`);
    });
  });
});
