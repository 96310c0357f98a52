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
const scratch = new Map<number, { counts: Int32Array; touched: Uint16Array }>();

function scratchFor(bits: number): { counts: Int32Array; touched: Uint16Array } {
  let s = scratch.get(bits);
  if (!s) scratch.set(bits, (s = { counts: new Int32Array(1 << bits), touched: new Uint16Array(1 << bits) }));
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
  let h = 0;
  let inToken = false;
  const len = text.length;
  let i = 0;
  while (i < len) {
    let c = text.charCodeAt(i);
    if (c < 128 && WORD_ASCII[c] === 1) {
      // A run of ASCII letters and digits, the bulk of nearly all mail, in its own tight loop.
      if (!inToken) {
        h = 0x811c9dc5;
        inToken = true;
      }
      h = Math.imul(h ^ LOWER_ASCII[c], 0x01000193);
      i++;
      while (i < len) {
        c = text.charCodeAt(i);
        if (c >= 128 || WORD_ASCII[c] === 0) break;
        h = Math.imul(h ^ LOWER_ASCII[c], 0x01000193);
        i++;
      }
      continue;
    }
    if (c >= 128) {
      const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < len && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      const cp = pair ? ((c - 0xd800) << 10) + (text.charCodeAt(i + 1) - 0xdc00) + 0x10000 : c;
      if (isWordChar(cp)) {
        if (!inToken) {
          h = 0x811c9dc5;
          inToken = true;
        }
        h = Math.imul(h ^ c, 0x01000193);
        if (pair) h = Math.imul(h ^ text.charCodeAt(i + 1), 0x01000193);
        i += pair ? 2 : 1;
        continue;
      }
      i += pair ? 2 : 1;
    } else i++;
    // The end of a token, then maybe a lone '$' or '!': one bucket each (inlined: this is per token).
    if (inToken) {
      const b = (h >>> 0) & mask;
      if (counts[b] === 0) touched[n++] = b;
      counts[b]++;
      inToken = false;
    }
    if (c === 36 || c === 33) {
      const b = (Math.imul(0x811c9dc5 ^ c, 0x01000193) >>> 0) & mask;
      if (counts[b] === 0) touched[n++] = b;
      counts[b]++;
    }
  }
  if (inToken) {
    const b = (h >>> 0) & mask;
    if (counts[b] === 0) touched[n++] = b;
    counts[b]++;
  }
  return finishBuckets(counts, touched, n, opts);
}

/**
 * The vector of a text whose tokens another scan hashes (FNV-1a over their lowered char codes, as
 * above): add each hash, then finish once. Same buckets and values as textFeatures on that text. One
 * vector at a time per hashed dimension: the counts live in shared scratch space.
 */
export function hashedTokenVector(opts: FeatureOptions): { add(hash: number): void; finish(): SparseVector } {
  const mask = (1 << opts.hashBits) - 1;
  const { counts, touched } = scratchFor(opts.hashBits);
  let n = 0;
  return {
    add(hash) {
      const b = (hash >>> 0) & mask;
      if (counts[b] === 0) touched[n++] = b;
      counts[b]++;
    },
    finish: () => finishBuckets(counts, touched, n, opts),
  };
}

/** log(1 + count) of the heaviest buckets, L2-normalised; clears the scratch counts for the next text. */
function finishBuckets(counts: Int32Array, touched: Uint16Array, n: number, opts: FeatureOptions): SparseVector {
  const buckets = keepHeaviest(counts, touched.subarray(0, n).sort(), opts.maxNonZero);
  const val = new Float32Array(buckets.length);
  let norm = 0;
  for (let i = 0; i < buckets.length; i++) {
    const v = Math.log1p(counts[buckets[i]]);
    val[i] = v;
    norm += v * v;
  }
  norm = norm > 0 ? Math.sqrt(norm) : 1;
  for (let i = 0; i < buckets.length; i++) val[i] = Math.log1p(counts[buckets[i]]) / norm;
  for (let i = 0; i < n; i++) counts[touched[i]] = 0;
  return { idx: buckets, val };
}

// ASCII letters and digits (A-Z folded to a-z): the token characters of nearly all mail.
const WORD_ASCII = Uint8Array.from({ length: 128 }, (_, c) => ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? 1 : 0));
const LOWER_ASCII = Uint8Array.from({ length: 128 }, (_, c) => (c >= 65 && c <= 90 ? c | 32 : c));

/**
 * The `k` buckets with the highest counts, ties to the lower bucket (as sparseFrom keeps them), in
 * ascending order. `sorted` holds the touched buckets ascending; counts are small integers, so the
 * cut-off count is found by counting instead of sorting by weight.
 */
function keepHeaviest(counts: Int32Array, sorted: Uint16Array, k: number): Uint16Array {
  if (sorted.length <= k) return sorted.slice();
  let max = 0;
  for (let i = 0; i < sorted.length; i++) if (counts[sorted[i]] > max) max = counts[sorted[i]];
  const perCount = new Int32Array(max + 1);
  for (let i = 0; i < sorted.length; i++) perCount[counts[sorted[i]]]++;
  // The cut-off: every bucket above it is kept, and `ties` of the buckets at it (the lowest ones).
  let above = 0;
  let cut = max;
  while (above + perCount[cut] < k) above += perCount[cut--];
  let ties = k - above;
  const out = new Uint16Array(k);
  let j = 0;
  for (let i = 0; i < sorted.length && j < k; i++) {
    const count = counts[sorted[i]];
    if (count > cut || (count === cut && ties-- > 0)) out[j++] = sorted[i];
  }
  return out;
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
