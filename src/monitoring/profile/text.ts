// Per-request text features for live traffic, computed exactly as the trainer computed the baseline
// (docs/spam-filter.md, "Baseline format"), from the manifest's profile section alone.
import type { TextProfileSpec } from './baseline.ts';
import { createTokenCounter, type TokenCounts } from './scan.ts';

export const TEXT_FEATURES = [
  'text.length', 'text.tokens', 'text.oovShare',
  'text.chars.letter', 'text.chars.digit', 'text.chars.whitespace', 'text.chars.punctuation',
  'text.chars.control', 'text.chars.nonAscii', 'text.chars.invisible', 'text.words.mixedScript',
] as const;
export type TextFeature = (typeof TEXT_FEATURES)[number];

/** Counts span orders of magnitude (a 300-character note and a 1 MB dump are both "text"). */
export const TEXT_LOG_SCALE: ReadonlySet<string> = new Set(['text.length', 'text.tokens']);

const INVISIBLE = /\p{Cf}/u;
const WORD = /\p{L}+/gu;
const NON_ASCII = /[^\u0000-\u007f]/;
const SCRIPTS = [/\p{Script=Latin}/u, /\p{Script=Greek}/u, /\p{Script=Cyrillic}/u];

export interface TextFeatureComputer {
  /**
   * One row of values; NaN where a feature is undefined (no token for the OOV share, empty text).
   * With `onToken` (only where `hashesTokens`), each token's FNV-1a hash over its lowered char codes is
   * handed over as it is counted, so another feature can reuse the scan.
   */
  row(text: string, onToken?: (hash: number) => void): Record<TextFeature, number>;
  tokenize(text: string): string[];
  /** The tokens are counted by the char-code scan (scan.ts), which can report their hashes. */
  hashesTokens: boolean;
}

const ASCII_LOWERING = /[\u0130\u212A]/;

export function createTextFeatures(spec: TextProfileSpec): TextFeatureComputer {
  const vocabulary = new Set(spec.vocabulary);
  const pattern = new RegExp(spec.tokenPattern, 'g');
  // Only a pattern that can match nothing but ASCII is blind to how other letters are lower-cased.
  const asciiPattern = /^[\x20-\x7e]*$/.test(spec.tokenPattern) && !/\\[pPuxcdDwWsS]/.test(spec.tokenPattern);
  const tokenize = (text: string): string[] => {
    let t = text;
    if (spec.truncateAtNul) {
      const nul = t.indexOf('\u0000');
      if (nul >= 0) t = t.slice(0, nul);
    }
    // Native lower-casing gives the same tokens unless the text holds one of the two code points
    // whose lower case is ASCII (see lowerAsOnnxRuntime); only then the slower exact mapping runs.
    if (spec.lowercase) t = !asciiPattern || ASCII_LOWERING.test(t) ? lowerAsOnnxRuntime(t) : t.toLowerCase();
    return t.match(pattern) ?? [];
  };
  const byRegex = (text: string): TokenCounts => {
    const tokens = tokenize(text);
    let oov = 0;
    for (const token of tokens) if (!vocabulary.has(token)) oov++;
    return { tokens: tokens.length, oov };
  };
  // This runs for every request: a pattern of ASCII classes is counted by one scan (scan.ts).
  const scanner = createTokenCounter(spec.tokenPattern, spec.vocabulary, spec);
  const count = scanner ?? byRegex;
  const row = (text: string, onToken?: (hash: number) => void): Record<TextFeature, number> => {
    const { tokens, oov } = onToken && scanner ? scanner(text, onToken) : count(text);
    const chars = characterCounts(text);
    const share = (k: number) => (chars.total === 0 ? Number.NaN : k / chars.total);
    return {
      'text.length': chars.total,
      'text.tokens': tokens,
      'text.oovShare': tokens === 0 ? Number.NaN : oov / tokens,
      'text.chars.letter': share(chars.letter),
      'text.chars.digit': share(chars.digit),
      'text.chars.whitespace': share(chars.whitespace),
      'text.chars.punctuation': share(chars.punctuation),
      'text.chars.control': share(chars.control),
      'text.chars.nonAscii': share(chars.nonAscii),
      'text.chars.invisible': share(chars.invisible),
      // Without a non-ASCII character no word can mix scripts, and there is a word exactly when
      // there is a letter: the word-by-word scan is skipped for most mail.
      'text.words.mixedScript': chars.nonAscii > 0 ? mixedScriptShare(text) : chars.letter > 0 ? 0 : Number.NaN,
    };
  };
  return { row, tokenize, hashesTokens: scanner !== undefined };
}

/**
 * onnxruntime's StringNormalizer LOWER under C.UTF-8, as far as an ASCII token pattern can see: A-Z,
 * plus the only two non-ASCII code points whose lower case is ASCII (U+0130 -> i, U+212A -> k).
 */
export function lowerAsOnnxRuntime(text: string): string {
  return text.replace(/[A-Z\u0130\u212A]/g, (c) => {
    if (c === '\u0130') return 'i';
    if (c === '\u212A') return 'k';
    return String.fromCharCode(c.charCodeAt(0) + 32);
  });
}

interface CharacterCounts {
  total: number;
  letter: number;
  digit: number;
  whitespace: number;
  punctuation: number;
  control: number;
  nonAscii: number;
  invisible: number;
}

/** Format characters (\p{Cf}) by code point, remembered: mail uses a few hundred non-ASCII ones. */
const invisible = new Map<number, boolean>();

function isInvisible(code: number): boolean {
  let v = invisible.get(code);
  if (v === undefined) {
    v = INVISIBLE.test(String.fromCodePoint(code));
    if (invisible.size < 65_536) invisible.set(code, v);
  }
  return v;
}

/**
 * One pass over the code points; the classes partition them, except invisible (a subset of nonAscii).
 * Indexed by char code rather than `for (const ch of text)`: no string per character on the request path.
 */
// ASCII classes by table (0 letter, 1 digit, 2 whitespace, 3 control, 4 punctuation): mail mixes them
// at random, and a chain of comparisons per character mispredicts far more than one load.
const ASCII_CLASS = Uint8Array.from({ length: 128 }, (_, c) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) ? 0 : c >= 48 && c <= 57 ? 1 : c === 32 || (c >= 9 && c <= 13) ? 2 : c < 32 || c === 127 ? 3 : 4);

function characterCounts(text: string): CharacterCounts {
  const ascii = new Int32Array(5);
  let total = 0, nonAscii = 0, invisibleCount = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let code = text.charCodeAt(i);
    total++;
    if (code < 128) {
      ascii[ASCII_CLASS[code]]++;
      continue;
    }
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < n) {
      const lowSurrogate = text.charCodeAt(i + 1);
      if (lowSurrogate >= 0xdc00 && lowSurrogate <= 0xdfff) {
        code = ((code - 0xd800) << 10) + (lowSurrogate - 0xdc00) + 0x10000;
        i++;
      }
    }
    nonAscii++;
    if (isInvisible(code)) invisibleCount++;
  }
  return { total, letter: ascii[0], digit: ascii[1], whitespace: ascii[2], control: ascii[3], punctuation: ascii[4], nonAscii, invisible: invisibleCount };
}

const LETTER = /\p{L}/u;
/** Per non-ASCII code point: bit 0 a letter, bits 1-3 Latin, Greek, Cyrillic. Remembered like isInvisible. */
const letterScripts = new Map<number, number>();

function scriptBits(cp: number): number {
  let v = letterScripts.get(cp);
  if (v === undefined) {
    const ch = String.fromCodePoint(cp);
    v = LETTER.test(ch) ? 1 : 0;
    SCRIPTS.forEach((script, k) => {
      if (script.test(ch)) v! |= 2 << k;
    });
    if (letterScripts.size < 65_536) letterScripts.set(cp, v);
  }
  return v;
}

/**
 * Words (runs of letters, /\p{L}+/u) mixing Latin, Greek and Cyrillic: homoglyph spellings. NaN without
 * words. One scan over the code points: a word's scripts are the union of its letters' scripts.
 */
export function mixedScriptShare(text: string): number {
  let words = 0;
  let mixed = 0;
  let inWord = false;
  let scripts = 0;
  const endWord = () => {
    if (!inWord) return;
    words++;
    // More than one of the three script bits set.
    const s = scripts & 14;
    if ((s & (s - 1)) !== 0) mixed++;
    inWord = false;
  };
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let cp = text.charCodeAt(i);
    let bits: number;
    if (cp < 128) bits = ASCII_CLASS[cp] === 0 ? 3 : 0; // an ASCII letter: a Latin letter
    else {
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
        const lowSurrogate = text.charCodeAt(i + 1);
        if (lowSurrogate >= 0xdc00 && lowSurrogate <= 0xdfff) {
          cp = ((cp - 0xd800) << 10) + (lowSurrogate - 0xdc00) + 0x10000;
          i++;
        }
      }
      bits = scriptBits(cp);
    }
    if ((bits & 1) === 0) {
      endWord();
      continue;
    }
    if (!inWord) {
      inWord = true;
      scripts = 0;
    }
    scripts |= bits;
  }
  endWord();
  return words === 0 ? Number.NaN : mixed / words;
}

/** The definition the scan above must equal, by regular expressions (tests compare the two). */
export function mixedScriptShareByRegex(text: string): number {
  let words = 0;
  let mixed = 0;
  for (const [word] of text.matchAll(WORD)) {
    words++;
    if (!NON_ASCII.test(word)) continue;
    let scripts = 0;
    for (const script of SCRIPTS) if (script.test(word)) scripts++;
    if (scripts > 1) mixed++;
  }
  return words === 0 ? Number.NaN : mixed / words;
}
