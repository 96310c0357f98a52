// Declared input constraints, checked before any request reaches an engine: value ranges, NaN and
// Infinity, text length and encoding, rows per request; and text normalisation against evasion, as asked.
// String.prototype.isWellFormed is in Node 20 but not in the ES2022 library tsconfig targets.
/// <reference lib="es2024.string" />
import { errors } from '../errors.ts';
import type { Tensor } from '../protocol/index.ts';
import type { InputConstraints } from '../registry/manifest.ts';

// Zero-width and other invisible format characters used to split words past filters.
const INVISIBLE = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\u{1D173}-\u{1D17A}\u{E0000}-\u{E007F}]/gu;

// Cyrillic and Greek letters that render like Latin ones (the common confusables of spam evasion).
const HOMOGLYPHS: Record<string, string> = {
  'а': 'a', 'в': 'b', 'с': 'c', 'е': 'e', 'һ': 'h', 'і': 'i', 'ј': 'j', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o',
  'р': 'p', 'ѕ': 's', 'т': 't', 'у': 'y', 'х': 'x', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w',
  'А': 'A', 'В': 'B', 'С': 'C', 'Е': 'E', 'Н': 'H', 'І': 'I', 'Ј': 'J', 'К': 'K', 'М': 'M', 'О': 'O', 'Р': 'P',
  'Ѕ': 'S', 'Т': 'T', 'Х': 'X', 'У': 'Y',
  'α': 'a', 'ο': 'o', 'ρ': 'p', 'ν': 'v', 'ι': 'i', 'κ': 'k', 'τ': 't', 'υ': 'u', 'χ': 'x',
  'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N', 'Ο': 'O', 'Ρ': 'P',
  'Τ': 'T', 'Υ': 'Y', 'Χ': 'X',
};
const HOMOGLYPH_RE = new RegExp(`[${Object.keys(HOMOGLYPHS).join('')}]`, 'g');

export function normalizeText(s: string, n: NonNullable<InputConstraints['normalize']>): string {
  let out = s;
  if (n.nfkc) out = out.normalize('NFKC');
  if (n.stripInvisible) out = out.replace(INVISIBLE, '');
  if (n.homoglyphs) out = out.replace(HOMOGLYPH_RE, (c) => HOMOGLYPHS[c]);
  return out;
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Checks one validated tensor against its constraints; returns it, with text normalised if asked.
 * Floating-point inputs are refused NaN and Infinity unless the manifest allows them.
 */
export function applyConstraints(t: Tensor, constraints: InputConstraints | undefined): Tensor {
  const c: Partial<InputConstraints> = constraints ?? {};
  const fail = (msg: string) => errors.inputConstraint(`input '${t.name}': ${msg}`);
  if (c.maxBatch !== undefined && t.shape.length > 0 && t.shape[0] > c.maxBatch) {
    throw fail(`${t.shape[0]} rows is more than the ${c.maxBatch} allowed per request`);
  }
  if (Array.isArray(t.data)) {
    // A lone surrogate (a JSON escape such as "\ud800") is text no encoding can carry: the engine
    // would see U+FFFD or garbage. Checked on the text as sent, before normalisation spends time on it.
    for (let i = 0; i < t.data.length; i++) {
      if (!t.data[i].isWellFormed()) throw fail(`element ${i} is not well-formed Unicode: it holds a lone surrogate (an unpaired \\uD800-\\uDFFF escape)`);
    }
    const data = c.normalize ? t.data.map((s) => normalizeText(s, c.normalize!)) : t.data;
    for (let i = 0; i < data.length; i++) {
      // UTF-16 length bounds the code point count from above, so most texts skip the count.
      const s = data[i];
      // ONNX Runtime reads strings as C strings: text after a NUL would silently vanish (a filter bypass).
      if (s.includes('\0')) throw fail(`element ${i} contains a NUL character, which the model cannot see past`);
      if (c.maxLength !== undefined && s.length > c.maxLength && codePoints(s) > c.maxLength) {
        throw fail(`element ${i} has ${codePoints(s)} characters, more than the ${c.maxLength} allowed`);
      }
      if (c.minLength !== undefined && codePoints(s) < c.minLength) {
        throw fail(`element ${i} is shorter than the ${c.minLength} characters required`);
      }
    }
    return c.normalize ? { ...t, data } : t;
  }
  const isFloat = t.datatype === 'FP32' || t.datatype === 'FP64' || t.datatype === 'FP16';
  if (t.datatype === 'BOOL' || (!isFloat && c.min === undefined && c.max === undefined)) return t;
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = Number(d[i]);
    if (!Number.isFinite(v)) {
      if (!c.allowNonFinite) throw fail(`element ${i} is ${v}; this model accepts only finite numbers`);
      continue;
    }
    if (c.min !== undefined && v < c.min) throw fail(`element ${i} is ${v}, below the minimum ${c.min}`);
    if (c.max !== undefined && v > c.max) throw fail(`element ${i} is ${v}, above the maximum ${c.max}`);
  }
  return t;
}
