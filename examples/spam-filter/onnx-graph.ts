// Builds the one ONNX graph that serves the spam filter: raw text in, label and class probabilities out.
// Standard ops only (ai.onnx opset 17) plus com.microsoft Tokenizer, which every onnxruntime build ships.
import p from 'onnx-proto';
import { PAD_VALUE, TOKEN_PATTERN, BIGRAM_JOIN } from './text-features.ts';
import { NORM_EPSILON, type Vocabulary } from './vectorizer.ts';
import type { LogisticModel } from './logistic.ts';
import { LABELS } from './jsonl.ts';

const { onnx } = p;
type IAttribute = p.onnx.IAttributeProto;
type INode = p.onnx.INodeProto;
type ITensor = p.onnx.ITensorProto;
type IValueInfo = p.onnx.IValueInfoProto;

/** ai.onnx opset 17 (Split's sizes default to equal parts) is supported by onnxruntime >= 1.13. */
export const ONNX_OPSET = 17;
/** IR version 8 is the one that goes with opset 17. */
export const IR_VERSION = 8;
/** StringNormalizer defaults to en_US.UTF-8, which slim images lack; C.UTF-8 is always there. */
export const NORMALIZER_LOCALE = 'C.UTF-8';

const A = onnx.AttributeProto.AttributeType;
const T = onnx.TensorProto.DataType;
const utf8 = new TextEncoder();

const str = (name: string, s: string): IAttribute => ({ name, type: A.STRING, s: utf8.encode(s) });
const int = (name: string, i: number): IAttribute => ({ name, type: A.INT, i });
const ints = (name: string, values: number[]): IAttribute => ({ name, type: A.INTS, ints: values });
const floats = (name: string, values: number[]): IAttribute => ({ name, type: A.FLOATS, floats: values });
const strs = (name: string, values: string[]): IAttribute => ({ name, type: A.STRINGS, strings: values.map((v) => utf8.encode(v)) });

function floatTensor(name: string, dims: number[], data: ArrayLike<number>): ITensor {
  // float32 on purpose: the runtime computes in float32, and raw little-endian bytes keep the file compact.
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return { name, dataType: T.FLOAT, dims, rawData: raw };
}

function valueInfo(name: string, elemType: number, dims: (string | number)[]): IValueInfo {
  const dim = dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

function node(opType: string, input: string[], output: string[], attribute: IAttribute[] = [], domain = ''): INode {
  return { opType, input, output, attribute, domain, name: output[0] };
}

/**
 * The serialised model; identical bytes for identical inputs (no timestamps, no random names).
 *
 * The features are binary TF x IDF, L2-normalised (vectorizer.ts), and nothing vocabulary-wide is
 * computed except the TfIdfVectorizer row and one MatMul. In mode IDF with `weights` = idf,
 * TfIdfVectorizer gives x_i = idf_i for every vocabulary n-gram present and 0 otherwise, so
 *   x . w   = the classifier's dot product before normalisation, and
 *   x . idf = sum of idf_i^2 over present terms = ||x||^2 (x_i * idf_i = x_i^2).
 * One MatMul with the [V, 2] matrix [w | idf] gives both; the rest works on [N, 1] columns:
 * z = dot / sqrt(max(||x||^2, eps^2)) + bias, logits [0, z], softmax = [1 - sigmoid(z), sigmoid(z)].
 */
export function buildSpamOnnx(vocab: Vocabulary, classifier: LogisticModel, docString: string): Uint8Array {
  const v = vocab.terms.length;
  // The pool lists each bigram as its two tokens in a row, right after all unigrams.
  const pool = vocab.terms.flatMap((t) => t.split(BIGRAM_JOIN));
  // Column 0 gives the unnormalised spam logit x . w, column 1 the squared norm x . idf.
  const projection = new Float32Array(v * 2);
  for (let i = 0; i < v; i++) {
    projection[i * 2] = classifier.weights[i];
    projection[i * 2 + 1] = vocab.idf[i];
  }
  const nodes: INode[] = [
    node('StringNormalizer', ['text'], ['lower'], [str('case_change_action', 'LOWER'), int('is_case_sensitive', 1), str('locale', NORMALIZER_LOCALE)]),
    node('Tokenizer', ['lower'], ['tokens'], [int('mark', 0), str('pad_value', PAD_VALUE), int('mincharnum', 1), str('tokenexp', TOKEN_PATTERN)], 'com.microsoft'),
    node('TfIdfVectorizer', ['tokens'], ['idf_present'], [
      str('mode', 'IDF'), int('min_gram_length', 1), int('max_gram_length', 2), int('max_skip_count', 0),
      ints('ngram_counts', [0, vocab.unigramCount]), ints('ngram_indexes', Array.from({ length: v }, (_, i) => i)), strs('pool_strings', pool),
      floats('weights', Array.from(vocab.idf)),
    ]),
    node('MatMul', ['idf_present', 'projection'], ['projected']),
    node('Split', ['projected'], ['raw_score', 'squared_norm'], [int('axis', 1)]),
    node('Max', ['squared_norm', 'epsilon_squared'], ['safe_squared_norm']),
    node('Sqrt', ['safe_squared_norm'], ['norm']),
    node('Div', ['raw_score', 'norm'], ['score']),
    // [N, 1] * [0, 1] + [0, bias] = [0, z]: the ham logit is fixed at 0, the spam logit is z.
    node('Mul', ['score', 'spam_column'], ['scores']),
    node('Add', ['scores', 'intercepts'], ['logits']),
    node('Softmax', ['logits'], ['probabilities'], [int('axis', 1)]),
    node('ArgMax', ['probabilities'], ['class_index'], [int('axis', 1), int('keepdims', 0)]),
    node('Gather', ['class_labels', 'class_index'], ['label'], [int('axis', 0)]),
  ];
  const initializer: ITensor[] = [
    floatTensor('projection', [v, 2], projection),
    floatTensor('epsilon_squared', [1], [NORM_EPSILON * NORM_EPSILON]),
    floatTensor('spam_column', [2], [0, 1]),
    floatTensor('intercepts', [2], [0, classifier.bias]),
    { name: 'class_labels', dataType: T.STRING, dims: [LABELS.length], stringData: LABELS.map((l) => utf8.encode(l)) },
  ];
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }, { domain: 'com.microsoft', version: 1 }],
    producerName: 'modelgate-examples-spam-filter',
    producerVersion: '1',
    docString,
    graph: {
      name: 'spam_filter',
      node: nodes,
      initializer,
      input: [valueInfo('text', T.STRING, ['N'])],
      output: [valueInfo('label', T.STRING, ['N']), valueInfo('probabilities', T.FLOAT, ['N', 2])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
