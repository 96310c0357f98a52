import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTextFeatures, lowerAsOnnxRuntime } from '../../src/monitoring/profile/index.ts';

const spec = { kind: 'text' as const, input: 'text', lowercase: true, truncateAtNul: true, tokenPattern: '[a-z0-9]+|[$!]', vocabulary: ['istanbul', 'kelvin', 'win'] };

test('tokens are those of the runtime lower-casing, whichever path computes them', () => {
  const f = createTextFeatures(spec);
  const reference = (t: string) => lowerAsOnnxRuntime(t).match(/[a-z0-9]+|[$!]/g) ?? [];
  for (const t of ['WIN $$$ NOW!', 'İSTANBUL İstanbul', '\u212AELVIN', 'ΣΟΦΟΣ Ωmega ÉCOLE straße', 'MiXeD 123 ÀÉÎ ok', 'a\u0000B']) {
    const cut = t.includes('\u0000') ? t.slice(0, t.indexOf('\u0000')) : t;
    assert.deepEqual(f.tokenize(t), reference(cut), t);
  }
  assert.equal(f.row('İSTANBUL \u212AELVIN')['text.oovShare'], 0, 'dotted capital I and the Kelvin sign fold to ASCII as the runtime does');
});
