// Turns one request row into the small vector the extraction signals compare: hashed token counts for
// text, the (standardised) values for numbers, and a locality-sensitive cell id for input coverage.

/** A vector with few non-zero entries: indices ascending, values aligned. Kept small on purpose (memory). */
export interface SparseVector {
  readonly idx: Uint16Array;
  readonly val: Float32Array;
}

export interface FeatureOptions {
  /** log2 of the hashed dimension for text (12 gives 4096 buckets). */
  hashBits: number;
  /** Entries kept per vector: the heaviest ones, then re-normalised. Bounds memory per remembered query. */
  maxNonZero: number;
}

// FNV-1a over UTF-16 code units: fast, stable across runs and machines, good enough spread for buckets.
export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// Letters and digits of any script; the detector must not depend on one model's tokenizer.
const TOKEN = /[\p{L}\p{N}]+|[$!]/gu;

/**
 * Feature hashing of a text: log(1 + count) per hashed unigram bucket, L2-normalised, so the distance
 * between two texts is about what they say, not how long they are.
 */
export function textFeatures(text: string, opts: FeatureOptions): SparseVector {
  // Lower-casing the whole text first, as the reference does, keeps context-dependent mappings
  // (Greek final sigma) identical; ASCII text needs no copy, the scanner folds A-Z itself.
  return scannedTextFeatures(NON_ASCII.test(text) ? text.toLowerCase() : text, opts);
}

/** The reference definition, by regular expression; the scanner below must give the same buckets. */
export function textFeaturesByRegex(text: string, opts: FeatureOptions): SparseVector {
  const mask = (1 << opts.hashBits) - 1;
  const counts = new Map<number, number>();
  for (const m of text.toLowerCase().matchAll(TOKEN)) {
    const b = fnv1a(m[0]) & mask;
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  const entries: [number, number][] = [];
  for (const [b, c] of counts) entries.push([b, Math.log1p(c)]);
  return sparseFrom(entries, opts.maxNonZero);
}

const NON_ASCII = /[^\u0000-\u007f]/;

/** Per hashed dimension: a count per bucket and the buckets touched, reused across calls. */
const scratch = new Map<number, { counts: Float64Array; touched: Uint16Array }>();

function scratchFor(bits: number): { counts: Float64Array; touched: Uint16Array } {
  let s = scratch.get(bits);
  if (!s) scratch.set(bits, (s = { counts: new Float64Array(1 << bits), touched: new Uint16Array(1 << bits) }));
  return s;
}

const WORD_CHAR = /[\p{L}\p{N}]/u;
/** Whether a non-ASCII code point is a letter or a number; a few hundred distinct ones occur in mail. */
const wordChar = new Map<number, boolean>();

function isWordChar(cp: number): boolean {
  let w = wordChar.get(cp);
  if (w === undefined) {
    w = WORD_CHAR.test(String.fromCodePoint(cp));
    if (wordChar.size < 65_536) wordChar.set(cp, w);
  }
  return w;
}

/**
 * The features by one scan over the char codes, without a regular expression per token, a Map or
 * a tuple per bucket: this runs on the request path for every text. Tokens are runs of letters and
 * numbers (FNV-1a over their UTF-16 units), or a lone '$' or '!'; A-Z are folded to a-z on the way.
 */
function scannedTextFeatures(text: string, opts: FeatureOptions): SparseVector {
  const mask = (1 << opts.hashBits) - 1;
  const { counts, touched } = scratchFor(opts.hashBits);
  let n = 0;
  const add = (h: number) => {
    const b = (h >>> 0) & mask;
    if (counts[b] === 0) touched[n++] = b;
    counts[b]++;
  };
  let h = 0;
  let inToken = false;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 128) {
      const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      const cp = pair ? ((c - 0xd800) << 10) + (text.charCodeAt(i + 1) - 0xdc00) + 0x10000 : c;
      if (isWordChar(cp)) {
        if (!inToken) {
          h = 0x811c9dc5;
          inToken = true;
        }
        h = Math.imul(h ^ c, 0x01000193);
        if (pair) h = Math.imul(h ^ text.charCodeAt(++i), 0x01000193);
        continue;
      }
      if (pair) i++;
      if (inToken) add(h);
      inToken = false;
      continue;
    }
    const upper = c >= 65 && c <= 90;
    if (upper || (c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
      if (upper) c |= 32;
      if (!inToken) {
        h = 0x811c9dc5;
        inToken = true;
      }
      h = Math.imul(h ^ c, 0x01000193);
      continue;
    }
    if (inToken) add(h);
    inToken = false;
    if (c === 36 || c === 33) add(Math.imul(0x811c9dc5 ^ c, 0x01000193));
  }
  if (inToken) add(h);
  let buckets = touched.slice(0, n);
  const value = (b: number) => Math.log1p(counts[b]);
  if (n > opts.maxNonZero) {
    // The heaviest entries, ties to the lower bucket, as sparseFrom keeps them. log1p is monotonic,
    // so counts order them; one key per bucket (count, then inverted bucket) sorts natively.
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = counts[buckets[i]] * 65536 + (65535 - buckets[i]);
    keys.sort();
    buckets = new Uint16Array(opts.maxNonZero);
    for (let j = 0; j < opts.maxNonZero; j++) buckets[j] = 65535 - (keys[n - 1 - j] % 65536);
  }
  buckets.sort();
  const val = new Float32Array(buckets.length);
  let norm = 0;
  for (let i = 0; i < buckets.length; i++) {
    const v = value(buckets[i]);
    norm += v * v;
  }
  norm = norm > 0 ? Math.sqrt(norm) : 1;
  for (let i = 0; i < buckets.length; i++) val[i] = value(buckets[i]) / norm;
  for (let i = 0; i < n; i++) counts[touched[i]] = 0;
  return { idx: buckets, val };
}

/**
 * A numeric row as a vector: standardised with the baseline's means and stds when given (so no single
 * wide feature dominates the distance), then kept sparse like text. Rows longer than the hashed
 * dimension fold their indices into it.
 */
export function numericFeatures(
  row: ArrayLike<number>,
  opts: FeatureOptions,
  scale?: { mean: readonly number[]; std: readonly number[] },
): SparseVector {
  const dim = 1 << opts.hashBits;
  const acc = new Map<number, number>();
  for (let i = 0; i < row.length; i++) {
    let v = Number(row[i]);
    if (!Number.isFinite(v)) continue;
    if (scale && i < scale.mean.length) v = (v - scale.mean[i]) / (scale.std[i] > 0 ? scale.std[i] : 1);
    if (v === 0) continue;
    const b = i < dim ? i : fnv1a(String(i)) % dim;
    acc.set(b, (acc.get(b) ?? 0) + v);
  }
  return sparseFrom([...acc.entries()], opts.maxNonZero, false);
}

function sparseFrom(entries: [number, number][], maxNonZero: number, normalise = true): SparseVector {
  if (entries.length > maxNonZero) {
    entries.sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || a[0] - b[0]);
    entries.length = maxNonZero;
  }
  entries.sort((a, b) => a[0] - b[0]);
  let norm = 0;
  for (const [, v] of entries) norm += v * v;
  norm = normalise && norm > 0 ? Math.sqrt(norm) : 1;
  return {
    idx: Uint16Array.from(entries, (e) => e[0]),
    val: Float32Array.from(entries, (e) => e[1] / norm),
  };
}

/** Euclidean distance between two sparse vectors (a merge over their sorted indices). */
export function distance(a: SparseVector, b: SparseVector): number {
  let i = 0;
  let j = 0;
  let s = 0;
  while (i < a.idx.length || j < b.idx.length) {
    const ai = i < a.idx.length ? a.idx[i] : Infinity;
    const bj = j < b.idx.length ? b.idx[j] : Infinity;
    let d: number;
    if (ai === bj) d = a.val[i++] - b.val[j++];
    else if (ai < bj) d = a.val[i++];
    else d = -b.val[j++];
    s += d * d;
  }
  return Math.sqrt(s);
}

/**
 * SimHash cell: the signs of `bits` random hyperplane projections. Similar inputs share a cell, so the
 * number of distinct cells a principal visits measures how much of the input space it explores. The
 * hyperplanes are derived from hashes, so no matrix is stored and every replica agrees.
 */
export function cellOf(v: SparseVector, bits: number): number {
  let cell = 0;
  for (let b = 0; b < bits; b++) {
    let dot = 0;
    for (let k = 0; k < v.idx.length; k++) dot += (mix32(v.idx[k] * 64 + b) & 1 ? 1 : -1) * v.val[k];
    if (dot >= 0) cell |= 1 << b;
  }
  return cell >>> 0;
}

// murmur3's finaliser: every input bit flips each output bit with probability about 1/2.
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
