// The spam filter's data side: the JSON lines reader rejects bad lines by file and line, the corpus split
// is deterministic and stable, the trainer's arguments are checked, and the baseline helpers bin correctly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonlFormatError, parseLabelledJsonl, readLabelledJsonl, writeLabelledJsonl } from '../../examples/spam-filter/jsonl.ts';
import { loadCorpus, splitCorpus, splitOf } from '../../examples/spam-filter/prepare-corpus.ts';
import { parseTrainArgs, UsageError } from '../../examples/spam-filter/train.ts';
import { binOf, summarize, UNIT_EDGES } from '../../examples/spam-filter/baseline.ts';
import { tokenize } from '../../examples/spam-filter/text-features.ts';

describe('labelled JSON lines reader', () => {
  const bad: [string, string, RegExp][] = [
    ['broken JSON', '{"text": "a", "label": "ham"}\n{"text": "b", "label": ', /mail\.jsonl:2: not valid JSON/],
    ['an array', '["hi", "spam"]', /mail\.jsonl:1: expected a JSON object/],
    ['a missing text', '{"label": "spam"}', /mail\.jsonl:1: "text" must be a string/],
    ['a numeric text', '{"text": 42, "label": "spam"}', /"text" must be a string/],
    ['an unknown label', '\n\n{"text": "x", "label": "phishing"}', /mail\.jsonl:3: "label" must be "ham" or "spam" \(any case\), or 0 \(ham\) or 1 \(spam\), got "phishing"/],
    ['a numeric label other than 0 or 1', '{"text": "x", "label": 2}', /got 2/],
    ['a missing label', '{"text": "x"}', /"label" must be "ham" or "spam" .*got undefined/],
    ['no rows at all', '\n  \n', /mail\.jsonl:1: no examples in file/],
  ];
  for (const [name, content, message] of bad) {
    it(`rejects ${name}, naming file and line`, () => {
      assert.throws(() => parseLabelledJsonl(content, 'mail.jsonl'), (e: unknown) => e instanceof JsonlFormatError && message.test(e.message));
    });
  }

  it('reads the spellings datasets use: any case, and 1 / 0 for spam / ham', () => {
    const rows = parseLabelledJsonl('{"text":"a","label":"SPAM"}\n{"text":"b","label":" Ham"}\n{"text":"c","label":1}\n{"text":"d","label":0}\n', 'x');
    assert.deepEqual(rows.map((r) => r.label), ['spam', 'ham', 'spam', 'ham']);
  });

  it('accepts blank lines, CRLF endings and extra fields, and round-trips any text', () => {
    const rows = parseLabelledJsonl('{"text":"a","label":"ham","id":7}\r\n\r\n{"text":"b\\nc","label":"spam"}\r\n', 'x');
    assert.deepEqual(rows, [{ text: 'a', label: 'ham' }, { text: 'b\nc', label: 'spam' }]);
    const dir = mkdtempSync(join(tmpdir(), 'spam-jsonl-'));
    try {
      const odd = [{ text: 'line\nbreak \u2028 \uD800 lone surrogate \u0000 nul "quotes"', label: 'spam' as const }, { text: '', label: 'ham' as const }];
      writeLabelledJsonl(join(dir, 'rows.jsonl'), odd);
      assert.deepEqual(readLabelledJsonl(join(dir, 'rows.jsonl')), odd);
      writeFileSync(join(dir, 'bad.jsonl'), '{"text":"ok","label":"ham"}\nnope\n');
      assert.throws(() => readLabelledJsonl(join(dir, 'bad.jsonl')), /bad\.jsonl:2: not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SpamAssassin split', () => {
  it('is a pure function of the text (SHA-256, first four bytes mod 100 < 20)', () => {
    // Pinned answers: if the rule changes, the committed model no longer matches its documented split.
    // sha256('hello') starts 2cf24dba -> 754077114 % 100 = 14; sha256('spam') starts 4e388ab3 -> 1312328371 % 100 = 71.
    const expected: [string, 'train' | 'test'][] = [['', 'test'], ['hello', 'test'], ['hello world', 'test'], ['spam', 'train'], ['ham', 'train'], ['b', 'train']];
    for (const [text, side] of expected) assert.equal(splitOf(text), side, JSON.stringify(text));
  });

  it('puts the same messages on the same side however the corpus is ordered', () => {
    const corpus = loadCorpus();
    assert.equal(corpus.length, 6046);
    assert.equal(corpus.filter((r) => r.label === 'spam').length, 1896);
    const a = splitCorpus(corpus);
    const b = splitCorpus([...corpus].reverse());
    assert.deepEqual(new Set(b.test.map((r) => r.text)), new Set(a.test.map((r) => r.text)));
    // Pinned sizes of the documented split (about 20% held out, both classes present in both sides).
    assert.deepEqual([a.train.length, a.test.length], [4821, 1225]);
    assert.deepEqual([a.train.filter((r) => r.label === 'spam').length, a.test.filter((r) => r.label === 'spam').length], [1525, 371]);
  });
});

describe('trainer arguments', () => {
  it('reads options and applies defaults', () => {
    const args = parseTrainArgs(['--train', 'a.jsonl', '--test', 'b.jsonl', '--seed', '7', '--vocab-size', '500', '--l2', '0.001', '--out', 'x']);
    assert.equal(args.train, 'a.jsonl');
    assert.equal(args.options.seed, 7);
    assert.equal(args.options.vocabSize, 500);
    assert.equal(args.options.l2, 0.001);
    assert.equal(args.out, 'x');
    assert.equal(parseTrainArgs([]).out, 'examples/models/spam-filter/1');
  });

  it('rejects bad values and unknown options', () => {
    assert.throws(() => parseTrainArgs(['--vocab-size', '0']), UsageError);
    assert.throws(() => parseTrainArgs(['--seed', '1.5']), UsageError);
    assert.throws(() => parseTrainArgs(['--l2', 'much']), UsageError);
    assert.throws(() => parseTrainArgs(['--train', 'a.jsonl']), /--train needs --test/);
    assert.throws(() => parseTrainArgs(['--bogus']), /bogus/);
  });
});

describe('baseline helpers and tokenizer mirror', () => {
  it('bins with fixed edges, clamping outliers into the end bins', () => {
    assert.equal(binOf(-1, UNIT_EDGES), 0);
    assert.equal(binOf(0.05, UNIT_EDGES), 1);
    assert.equal(binOf(0.999, UNIT_EDGES), 19);
    assert.equal(binOf(1, UNIT_EDGES), 19);
    const s = summarize([0, 0.5, 1, Number.NaN], UNIT_EDGES);
    assert.equal(s.count, 3);
    assert.equal(s.mean, 0.5);
    assert.equal(s.quantiles.p50, 0.5);
    assert.equal(s.histogram.counts.reduce((a, b) => a + b, 0), 3);
  });

  it('tokenizes as the graph does: lower-cased ASCII words, "$" and "!", nothing after NUL', () => {
    assert.deepEqual(tokenize('WIN $100!! Caf\u00e9 \u212Aelvin\u0000hidden'), ['win', '$', '100', '!', '!', 'caf', 'kelvin']);
    assert.deepEqual(tokenize('\u{1F600} \u0001'), []);
  });
});
