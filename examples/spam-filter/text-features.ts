// The TypeScript mirror of the graph's text front end (StringNormalizer LOWER, com.microsoft Tokenizer,
// TfIdfVectorizer n-grams). It must agree with onnxruntime token for token, so every quirk is copied here.
import { lowerAsOnnxRuntime } from '../../src/monitoring/profile/index.ts';

/**
 * Tokens are ASCII runs of letters and digits, or a single "$" or "!" (both matter for spam). ASCII only
 * on purpose: RE2 (leftmost-longest in the Tokenizer) and JavaScript (leftmost-first) agree on it, because
 * the two alternatives can never start at the same character.
 */
export const TOKEN_PATTERN = '[a-z0-9]+|[$!]';
/** Pads short rows in the Tokenizer output; it can never be a token, so it never hits the vocabulary. */
export const PAD_VALUE = '#';
/** Separates the two tokens of a bigram key; tokens never contain a space. */
export const BIGRAM_JOIN = ' ';

const tokenRegex = new RegExp(TOKEN_PATTERN, 'g');

/**
 * onnxruntime-node hands strings to the runtime as C strings, so everything from the first U+0000 on is
 * never seen by the graph. The mirror does the same; servers should reject NUL in text (see the doc).
 */
export function truncateAtNul(text: string): string {
  const nul = text.indexOf('\u0000');
  return nul < 0 ? text : text.slice(0, nul);
}

/**
 * Tokens of one text exactly as the graph produces them (before padding). Lower-casing is the profiler's
 * lowerAsOnnxRuntime, one definition for the graph's mirror and the live profiler (towlower per code point
 * under C.UTF-8 as far as the ASCII pattern can see; measured over all 1,112,064 code points through
 * onnxruntime-node 1.30).
 */
export function tokenize(text: string): string[] {
  return lowerAsOnnxRuntime(truncateAtNul(text)).match(tokenRegex) ?? [];
}

/**
 * Calls `visit` for every unigram and every bigram of adjacent tokens, in the order TfIdfVectorizer
 * counts them (max_skip_count 0). Pads only follow the last real token, so a bigram with a pad can never
 * be in the pool and the mirror can ignore pads altogether.
 */
export function forEachNgram(tokens: readonly string[], visit: (key: string) => void): void {
  for (let i = 0; i < tokens.length; i++) {
    visit(tokens[i]);
    if (i + 1 < tokens.length) visit(tokens[i] + BIGRAM_JOIN + tokens[i + 1]);
  }
}

export function isBigram(key: string): boolean {
  return key.includes(BIGRAM_JOIN);
}
