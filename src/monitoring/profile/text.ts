// Per-request text features for live traffic, computed exactly as the trainer computed the baseline
// (docs/spam-filter.md, "Baseline format"), from the manifest's profile section alone.
import type { TextProfileSpec } from './baseline.ts';

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
  /** One row of values; NaN where a feature is undefined (no token for the OOV share, empty text). */
  row(text: string): Record<TextFeature, number>;
  tokenize(text: string): string[];
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
  const row = (text: string): Record<TextFeature, number> => {
    const tokens = tokenize(text);
    let oov = 0;
    for (const token of tokens) if (!vocabulary.has(token)) oov++;
    const chars = characterCounts(text);
    const share = (k: number) => (chars.total === 0 ? Number.NaN : k / chars.total);
    return {
      'text.length': chars.total,
      'text.tokens': tokens.length,
      'text.oovShare': tokens.length === 0 ? Number.NaN : oov / tokens.length,
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
  return { row, tokenize };
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

/**
 * One pass over the code points; the classes partition them, except invisible (a subset of nonAscii).
 * Indexed by char code rather than `for (const ch of text)`: no string per character on the request path.
 */
function characterCounts(text: string): CharacterCounts {
  const c: CharacterCounts = { total: 0, letter: 0, digit: 0, whitespace: 0, punctuation: 0, control: 0, nonAscii: 0, invisible: 0 };
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = ((code - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
        i++;
      }
    }
    c.total++;
    if (code > 127) {
      c.nonAscii++;
      if (INVISIBLE.test(String.fromCodePoint(code))) c.invisible++;
    } else if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) c.letter++;
    else if (code >= 48 && code <= 57) c.digit++;
    else if (code === 32 || (code >= 9 && code <= 13)) c.whitespace++;
    else if (code < 32 || code === 127) c.control++;
    else c.punctuation++;
  }
  return c;
}

/** Words (runs of letters) mixing Latin, Greek and Cyrillic: homoglyph spellings. NaN without words. */
function mixedScriptShare(text: string): number {
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
