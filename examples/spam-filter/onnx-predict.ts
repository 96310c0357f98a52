// Runs the exported graph in onnxruntime-node: what the server does, in a few lines, for tests and users
// who want to try a model.onnx by hand.
import ort from 'onnxruntime-node';
import { LABELS, type Label } from './jsonl.ts';

export interface GraphOutput {
  labels: Label[];
  /** Row i is [ham, spam] for texts[i]. */
  probabilities: [number, number][];
}

export async function openSpamSession(model: string | Uint8Array): Promise<ort.InferenceSession> {
  // Two calls because create() is overloaded per argument type and TypeScript will not pick from a union.
  return typeof model === 'string' ? ort.InferenceSession.create(model) : ort.InferenceSession.create(model);
}

/** One run over a batch; the graph needs at least one text (StringNormalizer rejects an empty batch). */
export async function runSpamGraph(session: ort.InferenceSession, texts: readonly string[]): Promise<GraphOutput> {
  const out = await session.run({ text: new ort.Tensor('string', [...texts], [texts.length]) });
  const labels = out.label.data as string[];
  const probs = out.probabilities.data as Float32Array;
  if (out.probabilities.dims.join() !== `${texts.length},2`) throw new Error(`unexpected probabilities shape ${out.probabilities.dims.join('x')}`);
  for (const l of labels) if (!(LABELS as readonly string[]).includes(l)) throw new Error(`unexpected label ${JSON.stringify(l)}`);
  return {
    labels: labels as Label[],
    probabilities: texts.map((_, i) => [probs[i * 2], probs[i * 2 + 1]]),
  };
}
