// From what the dataplane has after answering (request tensors, probability output) to one feature
// vector and one probability row per query row, whatever the model's inputs look like.
import type { Tensor } from '../../protocol/index.ts';
import { numericFeatures, textFeatures, type FeatureOptions, type SparseVector } from './features.ts';

/** Per-feature means and stds of numeric inputs (e.g. from a manifest baseline), for standardising. */
export interface NumericScale {
  mean: readonly number[];
  std: readonly number[];
}

/** Class probabilities: an OIP tensor [N, K] (FP32/FP64) or plain rows. */
export type ProbabilityRows = Tensor | readonly ArrayLike<number>[];

/**
 * One vector per row. Text inputs (BYTES) are joined per row and hashed; when a request has no text,
 * the numeric inputs' row slices are concatenated and used as they are (standardised if a scale is given).
 */
export function rowVectors(inputs: readonly Tensor[], opts: FeatureOptions, scale?: NumericScale): SparseVector[] {
  const texts = rowTexts(inputs);
  if (texts) return texts.map((t) => textFeatures(t, opts));
  const rows = rowCount(inputs);
  const numeric = inputs.filter((t) => t.datatype !== 'BYTES');
  const out: SparseVector[] = [];
  for (let r = 0; r < rows; r++) {
    const values: number[] = [];
    for (const t of numeric) for (const v of rowSlice(t, r)) values.push(Number(v));
    out.push(numericFeatures(values, opts, scale));
  }
  return out;
}

const rowCount = (inputs: readonly Tensor[]) => (inputs.length > 0 ? Math.max(0, ...inputs.map((t) => t.shape[0] ?? 1)) : 0);

/** The text a query row is hashed from: its BYTES inputs' values joined by newlines; undefined when the
 * request has no text input (numeric rows are vectorised as they are). */
export function rowTexts(inputs: readonly Tensor[]): string[] | undefined {
  const text = inputs.filter((t) => t.datatype === 'BYTES');
  if (text.length === 0) return undefined;
  const rows = rowCount(inputs);
  // One input of one string per row (the common case) needs no joining.
  if (text.length === 1 && text[0].data.length === rows) return Array.from(text[0].data as ArrayLike<string>, String);
  return Array.from({ length: rows }, (_, r) => text.map((t) => rowSlice(t, r).join('\n')).join('\n'));
}

function rowSlice(t: Tensor, r: number): (string | number | bigint)[] {
  const rows = t.shape[0] ?? 1;
  const per = rows > 0 ? t.data.length / rows : 0;
  const out: (string | number | bigint)[] = [];
  for (let i = r * per; i < (r + 1) * per && i < t.data.length; i++) out.push(t.data[i]);
  return out;
}

/** Probability rows as plain arrays; a 1-D tensor of one probability per row means binary [1-p, p]. */
export function probabilityRows(p: ProbabilityRows): number[][] {
  if (!isTensor(p)) return p.map((row) => Array.from(row, Number));
  const data = p.data as ArrayLike<number>;
  const n = p.shape[0] ?? 0;
  if (p.shape.length === 1) return Array.from({ length: n }, (_, i) => [1 - Number(data[i]), Number(data[i])]);
  const k = p.shape[1] ?? 1;
  return Array.from({ length: n }, (_, i) => Array.from({ length: k }, (_, j) => Number(data[i * k + j])));
}

function isTensor(p: ProbabilityRows): p is Tensor {
  return !Array.isArray(p) && typeof (p as Tensor).datatype === 'string';
}

/** The predicted class and the margin p_top1 - p_top2 of one row. */
export function topTwo(row: readonly number[]): { top: number; margin: number } {
  let top = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[top]) top = j;
  let second = -Infinity;
  for (let j = 0; j < row.length; j++) if (j !== top && row[j] > second) second = row[j];
  return { top, margin: row.length < 2 ? 1 : row[top] - second };
}
