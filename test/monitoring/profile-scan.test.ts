// The profile's scanning token counter against the regular-expression definition it replaces on the
// request path: same token count and out-of-vocabulary count on real mail and on random strings that
// mix the characters where the two could part ways (case folding, NUL, surrogates, other scripts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { lowerAsOnnxRuntime } from '../../src/monitoring/profile/index.ts';
import { createTokenCounter, parseClassPattern } from '../../src/monitoring/profile/scan.ts';
import { mixedScriptShare, mixedScriptShareByRegex } from '../../src/monitoring/profile/text.ts';
import { spamSplit } from './fixtures.ts';

function reference(pattern: string, vocabulary: readonly string[], lowercase: boolean, truncateAtNul: boolean) {
  const vocab = new Set(vocabulary);
  const re = new RegExp(pattern, 'g');
  return (text: string) => {
    let t = truncateAtNul && text.includes('\u0000') ? text.slice(0, text.indexOf('\u0000')) : text;
    if (lowercase) t = lowerAsOnnxRuntime(t);
    const tokens = t.match(re) ?? [];
    return { tokens: tokens.length, oov: tokens.filter((x) => !vocab.has(x)).length };
  };
}

const ALPHABET = ['a', 'Z', 'k', 'K', 'i', 'I', '0', '9', '$', '!', ' ', '\n', '-', '.', '\u0000', '\u0130', '\u212a', 'é', 'Σ', 'ς', '😀', '\ud83d', '\u200b', 'ß', 'ǅ'];

function randomText(seed: number, length: number): string {
  let s = seed >>> 0;
  let out = '';
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out += ALPHABET[s % ALPHABET.length];
  }
  return out;
}

test('the scanning counter equals the regular-expression definition on mail and on random strings', () => {
  const manifest = JSON.parse(readFileSync('examples/models/spam-filter/1/manifest.json', 'utf8'));
  const spec = manifest.baseline.profile;
  const cases: [string, string[], boolean, boolean][] = [
    [spec.tokenPattern, spec.vocabulary, spec.lowercase, spec.truncateAtNul],
    ['[a-z0-9]+|[$!]', ['a', 'ik', 'k0', '$', 'zz', 'i9'], true, true],
    ['[a-z0-9]+|[$!]', ['a', 'ik', 'k0', '$', 'zz', 'i9'], false, false],
    ['[a-k]|[a-z]+|[!-$]+', ['a', 'zz', '!$', 'i', 'lz'], true, false],
  ];
  const mail = spamSplit().test.map((r) => r.text);
  for (const [pattern, vocabulary, lowercase, truncateAtNul] of cases) {
    const fast = createTokenCounter(pattern, vocabulary, { lowercase, truncateAtNul });
    assert.ok(fast, `${pattern} is of the simple form`);
    const slow = reference(pattern, vocabulary, lowercase, truncateAtNul);
    const texts = [...(pattern === spec.tokenPattern ? mail : []), ...Array.from({ length: 400 }, (_, k) => randomText(k, 1 + (k % 60))), '', 'KK', 'İK'];
    for (const t of texts) assert.deepEqual(fast(t), slow(t), JSON.stringify(t.slice(0, 80)));
  }
});

test('patterns outside the simple form keep the regular-expression path', () => {
  for (const p of ['\\w+', '[^a-z]+', '[a-z]*', '(ab)+', '[a-z]+|', '[\\d]+', '[é]+', 'abc', '[z-a]']) assert.equal(parseClassPattern(p), undefined, p);
  assert.equal(parseClassPattern('[a-z0-9]+|[$!]')?.length, 2);
});

test('the scanning mixed-script share equals the regular-expression definition', () => {
  const mail = spamSplit().test.map((r) => r.text).filter((t) => /[^\u0000-\u007f]/.test(t));
  assert.ok(mail.length > 20, 'the held-out split has non-ASCII mail');
  const scripts = ['a', 'Z', 'é', 'ο', 'Ο', 'о', 'О', 'ж', ' ', '1', '\u0301', '😀', '\ud835\udc00', '\ud83d', 'ß', '漢', '-', 'ǅ'];
  const random = Array.from({ length: 600 }, (_, k) => {
    let s = (k * 2654435761) >>> 0;
    let out = '';
    for (let i = 0; i < 1 + (k % 40); i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      out += scripts[s % scripts.length];
    }
    return out;
  });
  for (const t of [...mail, ...random, '', 'plain ascii words', 'Pаypal раураl']) {
    const a = mixedScriptShare(t);
    const b = mixedScriptShareByRegex(t);
    assert.ok(Object.is(a, b), `${JSON.stringify(t.slice(0, 60))}: scan ${a}, regex ${b}`);
  }
});
