// The load: held-out emails of about 5 KB from the example corpus (never seen in training), written
// as request bodies of the simple API, one JSON body per line, for the wrk script to rotate through.
// Each email is sent in VARIANTS copies that differ in a last reference line, as real mail differs in
// its message ids: the extraction detector skips an exact repeat of one of its last 300 queries
// (PRADA's window), so 255 bodies rotated as they are would never reach its distance computations.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCorpus, splitCorpus } from '../../examples/spam-filter/prepare-corpus.ts';

export interface Load {
  texts: string[];
  bodiesFile: string;
  meanBytes: number;
  spam: number;
}

/** Copies of each email per bodies file: 255 x 4 = 1,020 distinct bodies, more than PRADA's window. */
export const VARIANTS = 4;

/** A reference token of letters only, different per (email, copy) and the same in every run. */
function reference(email: number, copy: number): string {
  let h = Math.imul(email + 1, 0x9e3779b1) ^ Math.imul(copy + 1, 0x85ebca6b);
  let out = '';
  for (let i = 0; i < 10; i++) {
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    out += String.fromCharCode(97 + (h % 26));
  }
  return out;
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
  // Every email once, then every email again with the next reference: copies of one email are 255
  // requests apart, as a customer's similar mails would be, not back to back.
  const bodies = Array.from({ length: VARIANTS }, (_, c) => texts.map((text, e) => JSON.stringify({ text: `${text}\n\nRef: ${reference(e, c)}` }))).flat();
  writeFileSync(bodiesFile, bodies.join('\n') + '\n');
  const meanBytes = texts.reduce((s, t) => s + Buffer.byteLength(t, 'utf8'), 0) / texts.length;
  return { texts, bodiesFile, meanBytes, spam: picked.filter((r) => r.label === 'spam').length };
}
