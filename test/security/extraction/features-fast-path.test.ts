import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textFeatures, textFeaturesByRegex } from '../../../src/security/extraction/features.ts';
import { loadSplit } from './attack-kit.ts';

const opts = { hashBits: 12, maxNonZero: 256 };

test('the scanner gives exactly the buckets of the reference regular expression, in any script', () => {
  const texts = [
    '', '!!!', 'Hello, WORLD! $100 now!!', 'a1b2 C3d4\tX\n\u0000z', 'ALLCAPS$MONEY$',
    'ΟΔΟΣ ΣΟΦΟΣ σοφός', 'İstanbul KELVIN \u212A', 'naïve café — 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀 ١٢٣ 汉字テスト', 'p\u0430yp\u0430l\u200bverify',
    ...loadSplit().test.map((e) => e.text).slice(0, 400),
  ];
  // 256 keeps most of a 5 KB email's buckets; 64 (the default) and 4 cut deep into ties.
  for (const o of [opts, { hashBits: 12, maxNonZero: 64 }, { hashBits: 8, maxNonZero: 4 }]) {
    for (const t of texts) {
      const fast = textFeatures(t, o);
      const slow = textFeaturesByRegex(t, o);
      assert.deepEqual([Array.from(fast.idx), Array.from(fast.val)], [Array.from(slow.idx), Array.from(slow.val)], `${o.maxNonZero}: ${JSON.stringify(t.slice(0, 40))}`);
    }
  }
});
