// A fast path for the profile's token counts: for a token pattern made of ASCII character classes
// (such as the spam filter's `[a-z0-9]+|[$!]`), one scan over the char codes counts the tokens and
// looks each one up in the vocabulary without building a lower-cased copy, a token array or a single
// token string. The regular-expression path in text.ts stays the definition; tests hold the two equal.

/** One alternative of the pattern: a set of ASCII char codes, matched once or (with `+`) greedily. */
interface ClassAtom {
  codes: Uint8Array;
  repeat: boolean;
}

/**
 * Parses patterns of the form `[...]`, `[...]+` joined by `|`, where each class holds printable ASCII
 * literals and ranges (no negation, escapes or shorthand classes). Anything else returns undefined and
 * keeps the regular-expression path. For such patterns JavaScript's leftmost-first search is simply:
 * at each position the first alternative whose class holds the character wins, `+` takes the whole run.
 */
export function parseClassPattern(pattern: string): ClassAtom[] | undefined {
  const atoms: ClassAtom[] = [];
  let i = 0;
  while (i < pattern.length) {
    if (pattern[i] !== '[') return undefined;
    const end = pattern.indexOf(']', i + 1);
    if (end < 0) return undefined;
    const body = pattern.slice(i + 1, end);
    if (body.length === 0 || body[0] === '^' || /[\\[\]]/.test(body) || !/^[\x20-\x7e]+$/.test(body)) return undefined;
    const codes = new Uint8Array(128);
    for (let k = 0; k < body.length; k++) {
      if (k + 2 < body.length && body[k + 1] === '-') {
        const from = body.charCodeAt(k);
        const to = body.charCodeAt(k + 2);
        if (to < from) return undefined;
        for (let c = from; c <= to; c++) codes[c] = 1;
        k += 2;
      } else codes[body.charCodeAt(k)] = 1;
    }
    i = end + 1;
    const repeat = pattern[i] === '+';
    if (repeat) i++;
    atoms.push({ codes, repeat });
    if (i === pattern.length) break;
    if (pattern[i] !== '|') return undefined;
    i++;
    if (i === pattern.length) return undefined;
  }
  return atoms.length > 0 ? atoms : undefined;
}

export interface TokenCounts {
  tokens: number;
  /** Tokens not in the vocabulary. */
  oov: number;
}

export interface ScanOptions {
  lowercase: boolean;
  truncateAtNul: boolean;
}

/** onnxruntime's LOWER as far as an ASCII pattern sees: A-Z, and U+0130 -> 'i', U+212A -> 'k'. */
function lowered(c: number, lowercase: boolean): number {
  if (!lowercase) return c;
  if (c >= 65 && c <= 90) return c + 32;
  if (c === 0x130) return 105;
  if (c === 0x212a) return 107;
  return c;
}

/** Counts the tokens of a text; `onToken` gets each token's FNV-1a hash (over its lowered char codes). */
export type TokenCounter = (text: string, onToken?: (hash: number) => void) => TokenCounts;

/**
 * Builds the counter, or undefined when the pattern is not of the simple form. The vocabulary goes into
 * an open-addressing table of FNV-1a hashes; a hit is confirmed char by char, so the counts are exact.
 */
export function createTokenCounter(pattern: string, vocabulary: readonly string[], options: ScanOptions): TokenCounter | undefined {
  const atoms = parseClassPattern(pattern);
  if (!atoms) return undefined;
  const { lowercase, truncateAtNul } = options;
  // Tables over the 128 ASCII codes plus two slots for U+0130 and U+212A (the only non-ASCII code
  // points the runtime lowers to ASCII): the lowered code, and which alternative it starts (-1: none).
  const SPECIAL_I = 128;
  const SPECIAL_K = 129;
  const low = new Uint8Array(130);
  for (let c = 0; c < 128; c++) low[c] = lowered(c, lowercase);
  low[SPECIAL_I] = lowercase ? 105 : 0;
  low[SPECIAL_K] = lowercase ? 107 : 0;
  const starts = new Int8Array(130).fill(-1);
  for (let c = 0; c < 130; c++) {
    if (c >= 128 && !lowercase) continue;
    const a = atoms.findIndex((x) => x.codes[low[c]] === 1);
    starts[c] = a;
  }
  const repeat = Uint8Array.from(atoms, (x) => (x.repeat ? 1 : 0));
  const member = new Uint8Array(atoms.length * 130);
  atoms.forEach((x, a) => {
    for (let c = 0; c < 130; c++) if (!(c >= 128 && !lowercase) && x.codes[low[c]] === 1) member[a * 130 + c] = 1;
  });
  /** The table slot of a char code: itself for ASCII, 128/129 for the two specials, -1 otherwise. */
  const slot = (c: number): number => (c < 128 ? c : c === 0x130 ? SPECIAL_I : c === 0x212a ? SPECIAL_K : -1);
  const table = vocabularyTable(vocabulary, low);

  return (text: string, onToken?: (hash: number) => void): TokenCounts => {
    let tokens = 0;
    let oov = 0;
    const n = text.length;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0 && truncateAtNul) break;
      const s = slot(c);
      const a = s < 0 ? -1 : starts[s];
      if (a < 0) {
        i++;
        continue;
      }
      const start = i;
      let h = Math.imul(0x811c9dc5 ^ low[s], 0x01000193);
      i++;
      if (repeat[a] === 1) {
        const base = a * 130;
        while (i < n) {
          const t = slot(text.charCodeAt(i));
          if (t < 0 || member[base + t] === 0) break;
          h = Math.imul(h ^ low[t], 0x01000193);
          i++;
        }
      }
      tokens++;
      if (!table.has(h >>> 0, text, start, i)) oov++;
      onToken?.(h >>> 0);
    }
    return { tokens, oov };
  };
}

interface VocabularyTable {
  has(hash: number, text: string, start: number, end: number): boolean;
}

function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** `low`: the lowered code per table slot (ASCII codes, then U+0130 and U+212A). */
function vocabularyTable(vocabulary: readonly string[], low: Uint8Array): VocabularyTable {
  const terms = [...new Set(vocabulary)];
  let size = 16;
  while (size < terms.length * 2) size *= 2;
  const mask = size - 1;
  const hashes = new Uint32Array(size);
  const slots = new Int32Array(size).fill(-1);
  for (let t = 0; t < terms.length; t++) {
    const h = fnv(terms[t]);
    let s = h & mask;
    while (slots[s] >= 0) s = (s + 1) & mask;
    slots[s] = t;
    hashes[s] = h;
  }
  return {
    has(hash, text, start, end) {
      for (let s = hash & mask; slots[s] >= 0; s = (s + 1) & mask) {
        if (hashes[s] !== hash) continue;
        const term = terms[slots[s]];
        if (term.length !== end - start) continue;
        let k = 0;
        while (k < term.length) {
          const c = text.charCodeAt(start + k);
          // Inside a token every code is ASCII or one of the two specials (slot >= 0).
          if (term.charCodeAt(k) !== (c < 128 ? low[c] : c === 0x130 ? low[128] : low[129])) break;
          k++;
        }
        if (k === term.length) return true;
      }
      return false;
    },
  };
}
