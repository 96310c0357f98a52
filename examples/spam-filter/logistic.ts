// L2-regularised logistic regression on sparse rows, trained with mini-batch Adam. Deterministic for a
// given seed: the only randomness is the epoch shuffle, drawn from a seeded PRNG (never Math.random).
import type { SparseVector } from './vectorizer.ts';

export interface LogisticOptions {
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Weight of (l2 / 2) * ||w||^2 added to the mean log loss; the bias is not penalised. */
  l2: number;
  onEpoch?: (epoch: number, meanLoss: number) => void;
}

export interface LogisticModel {
  weights: Float64Array;
  bias: number;
}

/** mulberry32: a small, well-mixed 32-bit PRNG; enough for shuffling, and identical on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export function decision(model: LogisticModel, x: SparseVector): number {
  let z = model.bias;
  for (let j = 0; j < x.indices.length; j++) z += model.weights[x.indices[j]] * x.values[j];
  return z;
}

export function trainLogistic(rows: readonly SparseVector[], labels: readonly number[], dim: number, options: LogisticOptions): LogisticModel {
  const random = seededRandom(options.seed);
  const w = new Float64Array(dim);
  const m = new Float64Array(dim + 1);
  const v = new Float64Array(dim + 1);
  const grad = new Float64Array(dim + 1);
  let bias = 0;
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;
  let step = 0;
  const order = Array.from(rows.keys());
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    shuffle(order, random);
    let lossSum = 0;
    for (let start = 0; start < order.length; start += options.batchSize) {
      const batch = order.slice(start, start + options.batchSize);
      grad.fill(0);
      for (const r of batch) {
        const x = rows[r];
        let z = bias;
        for (let j = 0; j < x.indices.length; j++) z += w[x.indices[j]] * x.values[j];
        const p = sigmoid(z);
        lossSum += labels[r] === 1 ? -Math.log(Math.max(p, 1e-15)) : -Math.log(Math.max(1 - p, 1e-15));
        const err = (p - labels[r]) / batch.length;
        for (let j = 0; j < x.indices.length; j++) grad[x.indices[j]] += err * x.values[j];
        grad[dim] += err;
      }
      step++;
      const lr = options.learningRate * Math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step);
      for (let k = 0; k <= dim; k++) {
        const g = k < dim ? grad[k] + options.l2 * w[k] : grad[k];
        m[k] = beta1 * m[k] + (1 - beta1) * g;
        v[k] = beta2 * v[k] + (1 - beta2) * g * g;
        const delta = (lr * m[k]) / (Math.sqrt(v[k]) + eps);
        if (k < dim) w[k] -= delta;
        else bias -= delta;
      }
    }
    options.onEpoch?.(epoch, lossSum / order.length);
  }
  return { weights: w, bias };
}

function shuffle(items: number[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}
