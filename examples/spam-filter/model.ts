// The trainer's in-memory spam filter: the same tokenizer, binary TF-IDF and logistic regression as the ONNX
// graph, in TypeScript. Tests hold the two to the same answers on every held-out message.
import { tokenize } from './text-features.ts';
import { vectorize, type Vocabulary } from './vectorizer.ts';
import { decision, sigmoid, type LogisticModel } from './logistic.ts';
import { LABELS, type Label } from './jsonl.ts';

export interface Prediction {
  label: Label;
  /** [ham, spam], summing to 1. */
  probabilities: [number, number];
}

export interface SpamModel {
  vocab: Vocabulary;
  classifier: LogisticModel;
  predict(text: string): Prediction;
  predictTokens(tokens: readonly string[]): Prediction;
}

export function createSpamModel(vocab: Vocabulary, classifier: LogisticModel): SpamModel {
  const predictTokens = (tokens: readonly string[]): Prediction => {
    const spam = sigmoid(decision(classifier, vectorize(tokens, vocab)));
    // The graph's ArgMax gives a tie to column 0, so spam needs strictly more than one half.
    return { label: spam > 0.5 ? LABELS[1] : LABELS[0], probabilities: [1 - spam, spam] };
  };
  return { vocab, classifier, predictTokens, predict: (text) => predictTokens(tokenize(text)) };
}
