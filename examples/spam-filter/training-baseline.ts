// Computes manifest.baseline from the training split: text statistics, out-of-vocabulary share, the
// spam-probability distribution, class shares and the text profile a server needs to compute the same
// features live (format in docs/spam-filter.md). The per-text features come from the server's own
// profiler (src/monitoring/profile), fed the profile written here, so training and live values agree.
import { TEXT_FEATURES, createTextFeatures, type TextFeature, type TextProfileSpec } from '../../src/monitoring/profile/index.ts';
import type { LabelledText } from './jsonl.ts';
import type { SpamModel } from './model.ts';
import { TOKEN_PATTERN } from './text-features.ts';
import { BASELINE_FORMAT, LENGTH_EDGES, TOKEN_EDGES, UNIT_EDGES, round, summarize } from './baseline.ts';

/** Histogram edges per profiled feature: counts get their own scales, shares the unit interval. */
const EDGES: Record<TextFeature, readonly number[]> = {
  'text.length': LENGTH_EDGES,
  'text.tokens': TOKEN_EDGES,
  'text.oovShare': UNIT_EDGES,
  'text.chars.letter': UNIT_EDGES,
  'text.chars.digit': UNIT_EDGES,
  'text.chars.whitespace': UNIT_EDGES,
  'text.chars.punctuation': UNIT_EDGES,
  'text.chars.control': UNIT_EDGES,
  'text.chars.nonAscii': UNIT_EDGES,
  'text.chars.invisible': UNIT_EDGES,
  'text.words.mixedScript': UNIT_EDGES,
};

export function buildBaseline(rows: readonly LabelledText[], tokens: readonly string[][], model: SpamModel): Record<string, unknown> {
  // What a server needs to compute the text features for live traffic without the trainer's code: the
  // graph's tokenizer and the unigram vocabulary (for the OOV share).
  const profile: TextProfileSpec = {
    kind: 'text',
    input: 'text',
    lowercase: true,
    truncateAtNul: true,
    tokenPattern: TOKEN_PATTERN,
    vocabulary: model.vocab.terms.slice(0, model.vocab.unigramCount),
  };
  const profiler = createTextFeatures(profile);
  const profiled = rows.map((r) => profiler.row(r.text));
  const features = Object.fromEntries(TEXT_FEATURES.map((f) => [f, summarize(profiled.map((p) => p[f]), EDGES[f])]));
  const spamProbability = tokens.map((t) => model.predictTokens(t).probabilities[1]);
  const predictedSpam = spamProbability.filter((p) => p > 0.5).length;
  const labelledSpam = rows.filter((r) => r.label === 'spam').length;
  const n = rows.length;
  return {
    format: BASELINE_FORMAT,
    computedOn: 'training split',
    count: n,
    features,
    prediction: {
      spamProbability: summarize(spamProbability, UNIT_EDGES),
      classShares: {
        labelled: { ham: round((n - labelledSpam) / n), spam: round(labelledSpam / n) },
        predicted: { ham: round((n - predictedSpam) / n), spam: round(predictedSpam / n) },
      },
    },
    profile,
  };
}
