// Held-out emails of the example corpus, split by label, for end-to-end tests.
import { loadCorpus, splitCorpus } from '../../examples/spam-filter/prepare-corpus.ts';

let cache: { spam: string[]; ham: string[] } | undefined;

export function loadSplit(): { spam: string[]; ham: string[] } {
  if (!cache) {
    const { test } = splitCorpus(loadCorpus());
    cache = { spam: test.filter((e) => e.label === 'spam').map((e) => e.text), ham: test.filter((e) => e.label === 'ham').map((e) => e.text) };
  }
  return cache;
}
