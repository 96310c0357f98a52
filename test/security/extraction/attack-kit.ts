// The pieces of a real model-extraction attack on the example spam filter, and its benign counterpart:
// corpus loading, the attacker's word list and query crafting, a surrogate logistic regression trained on
// the model's answers, and agreement with the model on held-out mail. Seeded throughout; no Math.random.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { readLabelledJsonl, type LabelledText } from '../../../examples/spam-filter/jsonl.ts';
import { DEFAULT_DATA_DIR, loadCorpus, splitCorpus } from '../../../examples/spam-filter/prepare-corpus.ts';
import { seededRandom } from '../../../examples/spam-filter/logistic.ts';
import { fnv1a } from '../../../src/security/extraction/features.ts';

export const SPAM_MODEL = 'examples/models/spam-filter/1/model.onnx';
export { seededRandom };

/** The train/test split: the git-ignored JSON lines when written, else straight from the corpus package. */
export function loadSplit(): { train: LabelledText[]; test: LabelledText[] } {
  const train = join(DEFAULT_DATA_DIR, 'train.jsonl');
  const test = join(DEFAULT_DATA_DIR, 'test.jsonl');
  if (existsSync(train) && existsSync(test)) return { train: readLabelledJsonl(train), test: readLabelledJsonl(test) };
  return splitCorpus(loadCorpus());
}

export interface Answer {
  labels: string[];
  /** [ham, spam] per row. */
  probabilities: Float32Array;
}

/** Queries the real ONNX graph in batches (one session run per batch, as the server's batcher would). */
export async function openOracle(path = SPAM_MODEL): Promise<(texts: string[]) => Promise<Answer>> {
  const session = await ort.InferenceSession.create(path);
  return async (texts) => {
    const out = await session.run({ text: new ort.Tensor('string', texts, [texts.length]) });
    return { labels: out.label.data as string[], probabilities: out.probabilities.data as Float32Array };
  };
}

const WORD = /[a-z]+/g;

/**
 * The attacker's public word list: lower-case words of 3 to 15 letters found in at least `minDocs` of
 * the given texts, most frequent first. Published text-model extraction attacks (e.g. Krishna et al.
 * 2020, "Thieves on Sesame Street") draw queries from exactly such a list.
 */
export function wordList(texts: readonly string[], size: number, minDocs = 5): string[] {
  const df = new Map<string, number>();
  for (const t of texts) {
    for (const w of new Set(t.toLowerCase().match(WORD) ?? [])) {
      if (w.length >= 3 && w.length <= 15) df.set(w, (df.get(w) ?? 0) + 1);
    }
  }
  return [...df.entries()].filter(([, n]) => n >= minDocs).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, size).map(([w]) => w);
}

/** Random bags of words: `minWords` to `maxWords` words drawn uniformly from the list. */
export function randomBagAttacker(words: readonly string[], seed: number, minWords = 20, maxWords = 120): () => string {
  const rnd = seededRandom(seed);
  return () => {
    const n = minWords + Math.floor(rnd() * (maxWords - minWords + 1));
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(words[Math.floor(rnd() * words.length)]);
    return out.join(' ');
  };
}

/** A benign client: real emails in a seeded random order (with replacement once the list runs out). */
export function benignClient(emails: readonly string[], seed: number): () => string {
  const rnd = seededRandom(seed);
  const order = Array.from(emails.keys());
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  let k = 0;
  return () => emails[order[k++ % order.length]];
}

/** The surrogate's features: hashed lower-case words, log(1 + count), L2-normalised. */
export const SURROGATE_BITS = 16;
export function surrogateFeatures(text: string): { idx: Int32Array; val: Float64Array } {
  const counts = new Map<number, number>();
  const mask = (1 << SURROGATE_BITS) - 1;
  for (const w of text.toLowerCase().match(/[a-z0-9]+|[$!]/g) ?? []) {
    const b = fnv1a(w, 0x2545f491) & mask;
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  const idx = Int32Array.from(counts.keys());
  const val = Float64Array.from(counts.values(), (c) => Math.log1p(c));
  let norm = 0;
  for (const v of val) norm += v * v;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < val.length; i++) val[i] /= norm;
  return { idx, val };
}

export type Features = ReturnType<typeof surrogateFeatures>;

/**
 * The stolen copy: logistic regression on the surrogate features, fitted to the victim's spam
 * probabilities (soft labels carry more than the label, which is why output policies round them).
 */
export class Surrogate {
  private w = new Float64Array(1 << SURROGATE_BITS);
  private b = 0;

  train(rows: readonly Features[], targets: readonly number[], seed: number, epochs = 8, lr = 0.5): void {
    this.w.fill(0);
    this.b = 0;
    const rnd = seededRandom(seed);
    const order = Array.from(rows.keys());
    for (let e = 0; e < epochs; e++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (const r of order) {
        const g = this.prob(rows[r]) - targets[r];
        const x = rows[r];
        for (let k = 0; k < x.idx.length; k++) this.w[x.idx[k]] -= lr * g * x.val[k];
        this.b -= lr * g;
      }
    }
  }

  prob(x: Features): number {
    let z = this.b;
    for (let k = 0; k < x.idx.length; k++) z += this.w[x.idx[k]] * x.val[k];
    return 1 / (1 + Math.exp(-z));
  }

  /** Share of rows where the surrogate's label (p > 0.5 means spam) equals the victim's. */
  agreement(rows: readonly Features[], victimSpam: readonly boolean[]): number {
    let same = 0;
    for (let i = 0; i < rows.length; i++) if ((this.prob(rows[i]) > 0.5) === victimSpam[i]) same++;
    return same / rows.length;
  }
}

/**
 * Synthetic queries grown from a few seed emails the attacker owns, as in Papernot et al.'s
 * Jacobian-based augmentation and the text attacks after it: each query keeps a random share of a seed's
 * words, swaps some for words from the list, and sometimes splices in half of another seed. Unlike
 * random word bags (which this model calls ham 98% of the time) these straddle the decision boundary,
 * which is what makes the stolen copy good, and what PRADA is built to notice.
 */
export function seedPerturbationAttacker(seeds: readonly string[], words: readonly string[], seed: number): () => string {
  const rnd = seededRandom(seed);
  const seedWords = seeds.map((s) => s.split(/\s+/).filter(Boolean));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  return () => {
    let base = pick(seedWords);
    if (rnd() < 0.5) {
      const other = pick(seedWords);
      base = [...base.slice(0, Math.floor(base.length / 2)), ...other.slice(Math.floor(other.length / 2))];
    }
    const keep = 0.2 + 0.8 * rnd();
    const swap = 0.3 * rnd();
    const out: string[] = [];
    for (const w of base) {
      if (rnd() >= keep) continue;
      out.push(rnd() < swap ? pick(words) : w);
    }
    return out.join(' ');
  };
}

/**
 * Jacobian-style augmentation for text (Papernot et al. 2017, the attack PRADA was built against): the
 * set starts as the seeds, and each round every member gets one child with `edits` words replaced by list
 * words, so the set doubles. Children sit a small, similar step from their parents.
 */
export function augmentationAttacker(seeds: readonly string[], words: readonly string[], seed: number, edits = 6): () => string {
  const rnd = seededRandom(seed);
  let current = seeds.map((s) => s.split(/\s+/).filter(Boolean));
  let next: string[][] = [];
  let k = 0;
  return () => {
    if (k === current.length) {
      current = [...current, ...next];
      next = [];
      k = 0;
    }
    const child = [...current[k++]];
    for (let e = 0; e < edits && child.length > 0; e++) child[Math.floor(rnd() * child.length)] = words[Math.floor(rnd() * words.length)];
    next.push(child);
    return child.join(' ');
  };
}
