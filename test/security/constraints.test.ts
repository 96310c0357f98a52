// Declared input constraints and text normalisation, without HTTP: what is folded, what is refused,
// and the exact messages a client reads.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyConstraints, normalizeText } from '../../src/security/constraints.ts';
import { inputConstraintsSchema } from '../../src/registry/manifest.ts';
import type { Tensor } from '../../src/protocol/index.ts';

const text = (...data: string[]): Tensor => ({ name: 'text', datatype: 'BYTES', shape: [data.length], data });
const limits = (c: Record<string, unknown>) => inputConstraintsSchema.parse(c);
const ALL = { nfkc: true, stripInvisible: true, homoglyphs: true };
const NONE = { nfkc: false, stripInvisible: false, homoglyphs: false };

/** Asserts a refusal from the error catalog with this exact message. */
function refuses(t: Tensor, c: Record<string, unknown>, message: string): void {
  assert.throws(() => applyConstraints(t, limits(c)), { name: 'ModelGateError', code: 'MG_INPUT_CONSTRAINT', message });
}

describe('normalizeText', () => {
  it('NFKC turns full-width letters and compatibility forms into ASCII', () => {
    assert.equal(normalizeText('ＦＲＥＥ ｍｏｎｅｙ', { ...NONE, nfkc: true }), 'FREE money');
    assert.equal(normalizeText('ﬁnance', { ...NONE, nfkc: true }), 'finance');
    assert.equal(normalizeText('ＦＲＥＥ', NONE), 'ＦＲＥＥ', 'left alone unless asked');
  });

  it('strips zero-width and invisible characters that split words', () => {
    const split = 'fr\u200Bee mo\u00ADn\u2060ey\uFEFF c\u200Dl\u{E0041}ick';
    assert.equal(normalizeText(split, { ...NONE, stripInvisible: true }), 'free money click');
    assert.equal(normalizeText(split, NONE), split);
  });

  it('folds Cyrillic and Greek homoglyphs into Latin letters', () => {
    const spoofed = 'm\u043En\u0435y \u0420\u0391Y\u0420\u0391L'; // Cyrillic о, е, Р and Greek Α
    assert.notEqual(spoofed, 'money PAYPAL');
    assert.equal(normalizeText(spoofed, { ...NONE, homoglyphs: true }), 'money PAYPAL');
    assert.equal(normalizeText('мир', { ...NONE, homoglyphs: true }), 'mиp', 'only look-alikes change');
  });

  it('all three together undo a mixed evasion', () => {
    assert.equal(normalizeText('ｆr\u200Bее \u0441ash', ALL), 'free cash');
  });
});

describe('applyConstraints on text', () => {
  it('returns normalised text in a new tensor and leaves the request untouched', () => {
    const t = text('ｗｉｎ', 'pr\u200Bize');
    const out = applyConstraints(t, limits({ normalize: ALL }));
    assert.deepEqual(out.data, ['win', 'prize']);
    assert.deepEqual(t.data, ['ｗｉｎ', 'pr\u200Bize']);
    const plain = text('ｗｉｎ');
    assert.equal(applyConstraints(plain, limits({})), plain, 'no normalisation asked: the same tensor');
    assert.equal(applyConstraints(plain, undefined), plain);
  });

  it('maxLength counts characters (code points), after normalisation', () => {
    assert.doesNotThrow(() => applyConstraints(text('😀😀😀'), limits({ maxLength: 3 })), 'six UTF-16 units, three characters');
    refuses(text('ok', '😀😀😀😀'), { maxLength: 3 }, "input 'text': element 1 has 4 characters, more than the 3 allowed");
    refuses(text('a\u200Bbc'), { maxLength: 3 }, "input 'text': element 0 has 4 characters, more than the 3 allowed");
    assert.deepEqual(applyConstraints(text('a\u200Bbc'), limits({ maxLength: 3, normalize: { stripInvisible: true } })).data, ['abc']);
  });

  it('minLength refuses short text, counted after invisible characters are stripped', () => {
    refuses(text('hello', 'hi'), { minLength: 3 }, "input 'text': element 1 is shorter than the 3 characters required");
    refuses(text('😀😀'), { minLength: 3 }, "input 'text': element 0 is shorter than the 3 characters required"); // four UTF-16 units
    refuses(text('h\u200B\u200Bi'), { minLength: 3, normalize: { stripInvisible: true } }, "input 'text': element 0 is shorter than the 3 characters required");
    assert.doesNotThrow(() => applyConstraints(text('hey'), limits({ minLength: 3 })));
  });

  it('refuses a NUL character, which would cut the text short in the engine', () => {
    refuses(text('fine', 'hello\0 click here'), {}, "input 'text': element 1 contains a NUL character, which the model cannot see past");
  });

  it('refuses lone surrogates, with or without normalisation, and accepts proper pairs', () => {
    const message = (i: number) => `input 'text': element ${i} is not well-formed Unicode: it holds a lone surrogate (an unpaired \\uD800-\\uDFFF escape)`;
    refuses(text('\ud800'), {}, message(0));
    refuses(text('ok', 'a\udc00b'), { normalize: ALL }, message(1));
    refuses(text('\ude00\ud83d'), {}, message(0)); // the two halves in the wrong order
    assert.doesNotThrow(() => applyConstraints(text('\ud83d\ude00'), limits({ normalize: ALL })));
  });

  it('refuses more rows than maxBatch', () => {
    refuses(text('a', 'b', 'c'), { maxBatch: 2 }, "input 'text': 3 rows is more than the 2 allowed per request");
    assert.doesNotThrow(() => applyConstraints(text('a', 'b'), limits({ maxBatch: 2 })));
  });
});

describe('applyConstraints on numbers', () => {
  const fp32 = (...v: number[]): Tensor => ({ name: 'x', datatype: 'FP32', shape: [v.length], data: new Float32Array(v) });
  const int32 = (...v: number[]): Tensor => ({ name: 'n', datatype: 'INT32', shape: [v.length], data: new Int32Array(v) });

  it('refuses values outside min and max, naming the element', () => {
    refuses(fp32(0.5, 2), { min: 0, max: 1 }, "input 'x': element 1 is 2, above the maximum 1");
    refuses(fp32(0.5, -0.25), { min: 0, max: 1 }, "input 'x': element 1 is -0.25, below the minimum 0");
    refuses(int32(3, -1), { min: 0 }, "input 'n': element 1 is -1, below the minimum 0");
    assert.doesNotThrow(() => applyConstraints(fp32(0, 0.5, 1), limits({ min: 0, max: 1 })), 'bounds are inclusive');
  });

  it('refuses NaN and Infinity in floats unless the manifest allows them', () => {
    refuses(fp32(1, NaN), {}, "input 'x': element 1 is NaN; this model accepts only finite numbers");
    refuses(fp32(-Infinity), {}, "input 'x': element 0 is -Infinity; this model accepts only finite numbers");
    assert.doesNotThrow(() => applyConstraints(fp32(NaN, Infinity), limits({ allowNonFinite: true, max: 1 })));
  });

  it('applies maxBatch to numeric tensors too', () => {
    const t: Tensor = { name: 'x', datatype: 'FP32', shape: [3, 2], data: new Float32Array(6) };
    refuses(t, { maxBatch: 2 }, "input 'x': 3 rows is more than the 2 allowed per request");
  });
});
