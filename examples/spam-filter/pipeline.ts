// Trains the spam filter end to end: tokens, vocabulary, binary TF-IDF, logistic regression, held-out metrics,
// baseline, then writes model.onnx and manifest.json. The CLI (train.ts) and the tests both call this.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabelledText } from './jsonl.ts';
import { tokenize } from './text-features.ts';
import { buildVocabulary, vectorize, type SparseVector } from './vectorizer.ts';
import { trainLogistic } from './logistic.ts';
import { createSpamModel, type SpamModel } from './model.ts';
import { binaryMetrics, type BinaryMetrics } from './metrics.ts';
import { buildBaseline } from './training-baseline.ts';
import { buildManifest, serializeManifest } from './manifest.ts';
import { buildSpamOnnx } from './onnx-graph.ts';
import { silentProgress, type Progress } from './progress.ts';

export interface TrainOptions {
  seed: number;
  vocabSize: number;
  minDf: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  l2: number;
  version: string;
}

export const DEFAULT_OPTIONS: TrainOptions = {
  seed: 20020822,
  vocabSize: 20000,
  minDf: 3,
  epochs: 30,
  batchSize: 32,
  learningRate: 0.01,
  l2: 1e-5,
  version: '1',
};

export const DEFAULT_OUT_DIR = 'examples/models/spam-filter/1';

export interface TrainInput {
  train: readonly LabelledText[];
  test: readonly LabelledText[];
  /** One line on where the data came from, written into the manifest description. */
  source: string;
}

export interface TrainResult {
  model: SpamModel;
  metrics: BinaryMetrics;
  onnx: Uint8Array;
  manifest: string;
  /** Tokens of the held-out messages, in input order, for callers that check the graph against the model. */
  testTokens: string[][];
}

export function trainSpamFilter(input: TrainInput, options: TrainOptions, progress: Progress = silentProgress()): TrainResult {
  const trainTokens = tokenizeAll('tokenize train split', input.train, progress);
  const testTokens = tokenizeAll('tokenize test split', input.test, progress);

  const vocabStage = progress.stage('build vocabulary', 1);
  const vocab = buildVocabulary(trainTokens, { size: options.vocabSize, minDf: options.minDf });
  vocabStage.done(`${vocab.terms.length} terms, ${vocab.unigramCount} unigrams`);

  const vectorStage = progress.stage('tf-idf features', trainTokens.length);
  const rows: SparseVector[] = trainTokens.map((t) => {
    vectorStage.tick();
    return vectorize(t, vocab);
  });
  vectorStage.done();

  const fitStage = progress.stage('logistic regression', options.epochs);
  let lastLoss = Number.NaN;
  const classifier = trainLogistic(rows, input.train.map((r) => (r.label === 'spam' ? 1 : 0)), vocab.terms.length, {
    ...options,
    onEpoch: (_epoch, loss) => {
      lastLoss = loss;
      fitStage.tick();
    },
  });
  fitStage.done(`mean training log loss ${lastLoss.toFixed(4)}`);

  const model = createSpamModel(vocab, classifier);
  const evalStage = progress.stage('evaluate test split', 1);
  const scores = testTokens.map((t) => model.predictTokens(t).probabilities[1]);
  const metrics = binaryMetrics(input.test.map((r) => r.label === 'spam'), scores);
  evalStage.done(`accuracy ${metrics.accuracy.toFixed(4)}, F1 ${metrics.f1.toFixed(4)}, ROC-AUC ${metrics.rocAuc.toFixed(5)}`);

  const baseline = buildBaseline(input.train, trainTokens, model);
  const description =
    `Spam filter for raw email text (headers and body): binary TF-IDF (IDF of each known n-gram present, ` +
    `L2-normalised) of lower-cased unigrams and bigrams ` +
    `with logistic regression, in one ONNX graph. Trained on ${input.source}.`;
  const manifest = serializeManifest(
    buildManifest({
      version: options.version,
      description,
      metrics: {
        split: `held-out test split, ${input.test.length} messages`,
        ...metrics,
        training: {
          examples: input.train.length,
          spam: input.train.filter((r) => r.label === 'spam').length,
          ham: input.train.filter((r) => r.label === 'ham').length,
          vocabularySize: vocab.terms.length,
          unigrams: vocab.unigramCount,
          bigrams: vocab.terms.length - vocab.unigramCount,
          seed: options.seed,
          minDf: options.minDf,
          epochs: options.epochs,
          batchSize: options.batchSize,
          learningRate: options.learningRate,
          l2: options.l2,
        },
      },
      baseline,
    }),
  );
  const onnx = buildSpamOnnx(vocab, classifier, description);
  return { model, metrics, onnx, manifest, testTokens };
}

function tokenizeAll(name: string, rows: readonly LabelledText[], progress: Progress): string[][] {
  const stage = progress.stage(name, rows.length);
  const out = rows.map((r) => {
    stage.tick();
    return tokenize(r.text);
  });
  stage.done(`${rows.length} messages`);
  return out;
}

export function writeArtifacts(outDir: string, result: TrainResult): { model: string; manifest: string } {
  mkdirSync(outDir, { recursive: true });
  const model = join(outDir, 'model.onnx');
  const manifest = join(outDir, 'manifest.json');
  writeFileSync(model, result.onnx);
  writeFileSync(manifest, result.manifest);
  return { model, manifest };
}
