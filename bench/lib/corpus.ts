// The load: held-out emails of about 5 KB from the example corpus (never seen in training), written
// as request bodies of the simple API, one JSON body per line, for the wrk script to rotate through.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCorpus, splitCorpus } from '../../examples/spam-filter/prepare-corpus.ts';

export interface Load {
  texts: string[];
  bodiesFile: string;
  meanBytes: number;
  spam: number;
}

export function prepareLoad(dir: string, minBytes = 4000, maxBytes = 6000): Load {
  const { test } = splitCorpus(loadCorpus());
  const picked = test.filter((r) => {
    const n = Buffer.byteLength(r.text, 'utf8');
    return n >= minBytes && n <= maxBytes;
  });
  if (picked.length < 50) throw new Error(`only ${picked.length} held-out emails between ${minBytes} and ${maxBytes} bytes`);
  const texts = picked.map((r) => r.text);
  const bodiesFile = join(dir, 'bodies.jsonl');
  writeFileSync(bodiesFile, texts.map((text) => JSON.stringify({ text })).join('\n') + '\n');
  const meanBytes = texts.reduce((s, t) => s + Buffer.byteLength(t, 'utf8'), 0) / texts.length;
  return { texts, bodiesFile, meanBytes, spam: picked.filter((r) => r.label === 'spam').length };
}
