// Shared by the monitoring tests: the spam filter's split and committed baseline (loaded once per file),
// a seeded PRNG and a builder for synthetic baselines.
import { readFileSync } from 'node:fs';
import { loadCorpus, splitCorpus } from '../../examples/spam-filter/prepare-corpus.ts';
import type { LabelledText } from '../../examples/spam-filter/jsonl.ts';
import { summarize } from '../../examples/spam-filter/baseline.ts';
import { parseBaseline, type Baseline, type Summary } from '../../src/monitoring/profile/index.ts';

export const SPAM_DIR = 'examples/models/spam-filter/1';

let split: { train: LabelledText[]; test: LabelledText[] } | undefined;
export function spamSplit(): { train: LabelledText[]; test: LabelledText[] } {
  split ??= splitCorpus(loadCorpus());
  return split;
}

export function spamManifest(): { baseline: unknown; metrics: unknown; labels: string[] } {
  return JSON.parse(readFileSync(`${SPAM_DIR}/manifest.json`, 'utf8')) as { baseline: unknown; metrics: unknown; labels: string[] };
}

export function spamBaseline(): Baseline {
  return parseBaseline(spamManifest().baseline);
}

/** mulberry32: tiny, seeded, good enough to shuffle and to invent words. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal by Box-Muller. */
export function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** A summary in the manifest's format, made by the trainer's own code. */
export function summaryOf(values: readonly number[], edges: readonly number[]): Summary {
  return summarize(values, edges) as Summary;
}

export const UNIT_EDGES = Array.from({ length: 21 }, (_, i) => i / 20);
