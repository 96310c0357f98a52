// What a model's answer may reveal: all class probabilities, the top-1 label with a coarse confidence, or
// the label alone. Applied per model for everyone, and tightened per principal when the extraction
// detector degrades a suspected attacker. Works on OIP tensors and on the simple API's predictions.
import { z } from 'zod';
import type { Tensor } from '../protocol/index.ts';

export const OUTPUT_MODES = ['full', 'top1', 'label'] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

export const outputPolicySchema = z.object({
  /** full: everything the model returns; top1: label + rounded confidence; label: the label only. */
  mode: z.enum(OUTPUT_MODES).default('full'),
  /** Decimals of the top-1 confidence. One decimal leaves at most 5 answers for 2 classes (2.3 bits); see docs/extraction.md. */
  decimals: z.number().int().min(1).max(3).default(1),
});
export type OutputPolicy = z.output<typeof outputPolicySchema>;
export type OutputPolicyInput = z.input<typeof outputPolicySchema>;

export const FULL_OUTPUT: OutputPolicy = Object.freeze({ mode: 'full', decimals: 1 });

/** The simple API's answer for one item. */
export interface SimplePrediction {
  prediction: string;
  confidence?: number;
  probabilities?: Record<string, number>;
}

/** Which OIP outputs carry the class probabilities and the label; found by type and shape when absent. */
export interface OutputNames {
  probabilities?: string;
  label?: string;
  /** Name of the confidence tensor written in top1 mode. */
  confidence?: string;
}

/** The stricter of two policies: the narrower mode and the fewer decimals. Used to degrade a principal. */
export function stricterPolicy(a: OutputPolicy, b: OutputPolicy): OutputPolicy {
  const mode = OUTPUT_MODES[Math.max(OUTPUT_MODES.indexOf(a.mode), OUTPUT_MODES.indexOf(b.mode))];
  return { mode, decimals: Math.min(a.decimals, b.decimals) };
}

/**
 * Rounds a top-1 confidence onto a coarse grid and clamps it to [ceil(1/K), 1 - 10^-decimals]: the top-1
 * probability of K classes is never below 1/K, and never saying "1.0" hides the tail where near-certain
 * answers differ only in how far they are from the boundary (the part equation-solving attacks read).
 */
export function coarseConfidence(p: number, classes: number, decimals: number): number {
  // Fewer than one decimal leaves no room between the floor and the ceiling; that is label mode.
  decimals = Math.max(1, Math.round(decimals));
  const step = 10 ** -decimals;
  const lo = Math.ceil((1 / Math.max(2, classes)) / step - 1e-9) * step;
  const hi = 1 - step;
  const r = Math.round(p / step) * step;
  return Number(Math.min(hi, Math.max(lo, r)).toFixed(decimals));
}

export function applyOutputPolicy(policy: OutputPolicy, outputs: Tensor[], labels: readonly string[], names?: OutputNames): Tensor[];
export function applyOutputPolicy(policy: OutputPolicy, outputs: SimplePrediction[], labels?: readonly string[]): SimplePrediction[];
export function applyOutputPolicy(
  policy: OutputPolicy,
  outputs: Tensor[] | SimplePrediction[],
  labels: readonly string[] = [],
  names: OutputNames = {},
): Tensor[] | SimplePrediction[] {
  if (policy.mode === 'full' || outputs.length === 0) return outputs;
  if (isTensorList(outputs)) return tensorPolicy(policy, outputs, labels, names);
  return (outputs as SimplePrediction[]).map((p) => predictionPolicy(policy, p, labels.length));
}

function isTensorList(x: Tensor[] | SimplePrediction[]): x is Tensor[] {
  const first = x[0] as Partial<Tensor>;
  return typeof first.datatype === 'string' && Array.isArray(first.shape);
}

function predictionPolicy(policy: OutputPolicy, p: SimplePrediction, classes: number): SimplePrediction {
  if (policy.mode === 'label') return { prediction: p.prediction };
  const probs = p.probabilities ?? {};
  const k = Math.max(classes, Object.keys(probs).length, 2);
  const c = p.confidence ?? probs[p.prediction] ?? Math.max(...Object.values(probs));
  if (!Number.isFinite(c)) return { prediction: p.prediction };
  return { prediction: p.prediction, confidence: coarseConfidence(c, k, policy.decimals) };
}

/**
 * top1 and label keep only the label (and a confidence tensor in top1); every other output, logits or
 * embeddings included, is dropped, because a policy that lets an unnamed output through protects nothing.
 */
function tensorPolicy(policy: OutputPolicy, outputs: Tensor[], labels: readonly string[], names: OutputNames): Tensor[] {
  const probs = outputs.find((t) => (names.probabilities ? t.name === names.probabilities : isProbabilities(t)));
  const label = outputs.find((t) => (names.label ? t.name === names.label : isLabel(t)));
  if (!probs && !label) return [];
  const rows = label ? label.shape[0] : probs!.shape[0];
  const k = probs ? probs.shape[1] : Math.max(2, labels.length);
  const top = Array.from({ length: rows }, (_, r) => (probs ? argmax(probs.data as ArrayLike<number>, r, k) : 0));
  const labelData = label
    ? (label.data as string[]).slice(0, rows)
    : top.map((i) => labels[i] ?? String(i));
  const labelTensor: Tensor = { name: label?.name ?? names.label ?? 'label', datatype: 'BYTES', shape: [rows], data: labelData };
  if (policy.mode === 'label' || !probs) return [labelTensor];
  const p = probs.data as ArrayLike<number>;
  // FP64, not the model's FP32: a rounded 0.9 held as a float32 is written 0.8999999761581421.
  const conf = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    // The confidence of the label actually returned (a model may threshold differently from argmax).
    const col = label ? labels.indexOf(labelData[r]) : top[r];
    conf[r] = coarseConfidence(Number(p[r * k + (col >= 0 && col < k ? col : top[r])]), k, policy.decimals);
  }
  return [labelTensor, { name: names.confidence ?? 'confidence', datatype: 'FP64', shape: [rows], data: conf }];
}

function isProbabilities(t: Tensor): boolean {
  return (t.datatype === 'FP32' || t.datatype === 'FP64') && t.shape.length === 2;
}

function isLabel(t: Tensor): boolean {
  return t.datatype === 'BYTES' && (t.shape.length === 1 || (t.shape.length === 2 && t.shape[1] === 1));
}

function argmax(data: ArrayLike<number>, row: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (Number(data[row * k + j]) > Number(data[row * k + best])) best = j;
  return best;
}
