// Vocabulary selection by document frequency and the TF-IDF transform, computed exactly as the graph does:
// binary TF times IDF (idf_i for every vocabulary n-gram present, however often; 0 otherwise), then L2
// normalisation guarded by sqrt(max(sum of squares, NORM_EPSILON^2)). scikit-learn calls this
// TfidfVectorizer(binary=True, norm='l2'). Binary features let the graph skip every vocabulary-wide
// elementwise op: see onnx-graph.ts.
import { forEachNgram, isBigram } from './text-features.ts';

/**
 * Keeps an all-zero vector (no known n-gram at all) at zero instead of 0/0 = NaN. Every idf is >= 1, so
 * a text with any known n-gram has a norm >= 1 and never sees the guard.
 */
export const NORM_EPSILON = 1e-12;

export interface Vocabulary {
  /** Pool order of the graph: every unigram (sorted), then every bigram (sorted). */
  terms: string[];
  unigramCount: number;
  /** Smoothed IDF per term: ln((1 + n) / (1 + df)) + 1, as scikit-learn. */
  idf: Float64Array;
  index: Map<string, number>;
}

export interface VocabularyOptions {
  size: number;
  minDf: number;
}

/** A sparse row: sorted feature indices and their values. */
export interface SparseVector {
  indices: Int32Array;
  values: Float64Array;
}

/**
 * Picks the `size` n-grams found in the most training documents (at least minDf of them); ties go to
 * the lexicographically smaller term so the choice never depends on Map iteration order.
 */
export function buildVocabulary(docs: readonly (readonly string[])[], options: VocabularyOptions): Vocabulary {
  const df = new Map<string, number>();
  for (const tokens of docs) {
    const seen = new Set<string>();
    forEachNgram(tokens, (key) => seen.add(key));
    for (const key of seen) df.set(key, (df.get(key) ?? 0) + 1);
  }
  const candidates: [string, number][] = [];
  for (const [key, count] of df) if (count >= options.minDf) candidates.push([key, count]);
  candidates.sort((a, b) => b[1] - a[1] || compare(a[0], b[0]));
  const chosen = candidates.slice(0, options.size);
  const unigrams = chosen.filter(([k]) => !isBigram(k)).sort((a, b) => compare(a[0], b[0]));
  const bigrams = chosen.filter(([k]) => isBigram(k)).sort((a, b) => compare(a[0], b[0]));
  const ordered = [...unigrams, ...bigrams];
  const n = docs.length;
  const idf = Float64Array.from(ordered, ([, count]) => Math.log((1 + n) / (1 + count)) + 1);
  const terms = ordered.map(([k]) => k);
  return { terms, unigramCount: unigrams.length, idf, index: new Map(terms.map((t, i) => [t, i])) };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Binary TF times IDF, L2-normalised; what the graph computes, folded into its one MatMul. A term present
 * once or fifty times weighs the same: its idf, divided by the norm of all present terms' idfs.
 */
export function vectorize(tokens: readonly string[], vocab: Vocabulary): SparseVector {
  const present = new Set<number>();
  forEachNgram(tokens, (key) => {
    const i = vocab.index.get(key);
    if (i !== undefined) present.add(i);
  });
  const indices = Int32Array.from([...present].sort((a, b) => a - b));
  const values = new Float64Array(indices.length);
  let sumSquares = 0;
  for (let j = 0; j < indices.length; j++) {
    const v = vocab.idf[indices[j]];
    values[j] = v;
    sumSquares += v * v;
  }
  const norm = Math.sqrt(Math.max(sumSquares, NORM_EPSILON * NORM_EPSILON));
  for (let j = 0; j < values.length; j++) values[j] /= norm;
  return { indices, values };
}
