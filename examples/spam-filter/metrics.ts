// Held-out quality figures for a binary classifier whose positive class is "spam".

export interface BinaryMetrics {
  positiveLabel: 'spam';
  threshold: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  rocAuc: number;
  confusionMatrix: { tp: number; fp: number; tn: number; fn: number };
  support: { total: number; spam: number; ham: number };
}

/**
 * `positive[i]` is true for spam; `score[i]` is the spam probability. A message is predicted spam when its
 * score is above the threshold; 0.5 is what the graph's ArgMax does (a tie goes to ham, column 0).
 */
export function binaryMetrics(positive: readonly boolean[], score: readonly number[], threshold = 0.5): BinaryMetrics {
  let tp = 0, fp = 0, tn = 0, fn = 0;
  for (let i = 0; i < positive.length; i++) {
    const predicted = score[i] > threshold;
    if (predicted && positive[i]) tp++;
    else if (predicted) fp++;
    else if (positive[i]) fn++;
    else tn++;
  }
  const total = positive.length;
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  return {
    positiveLabel: 'spam',
    threshold,
    accuracy: total === 0 ? 0 : (tp + tn) / total,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    rocAuc: rocAuc(positive, score),
    confusionMatrix: { tp, fp, tn, fn },
    support: { total, spam: tp + fn, ham: tn + fp },
  };
}

/** Area under the ROC curve by the rank-sum (Mann-Whitney) formula; tied scores share their mean rank. */
export function rocAuc(positive: readonly boolean[], score: readonly number[]): number {
  const order = Array.from(score.keys()).sort((a, b) => score[a] - score[b]);
  const ranks = new Float64Array(score.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && score[order[j + 1]] === score[order[i]]) j++;
    const mean = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = mean;
    i = j + 1;
  }
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < positive.length; i++) {
    if (positive[i]) {
      positives++;
      rankSum += ranks[i];
    }
  }
  const negatives = positive.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
