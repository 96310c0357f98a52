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

/** ai.onnx opset 17 keeps ReduceL2's axes an attribute and is supported by onnxruntime >= 1.13. */
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

/** The serialised model; identical bytes for identical inputs (no timestamps, no random names). */
export function buildSpamOnnx(vocab: Vocabulary, classifier: LogisticModel, docString: string): Uint8Array {
  const v = vocab.terms.length;
  // The pool lists each bigram as its two tokens in a row, right after all unigrams.
  const pool = vocab.terms.flatMap((t) => t.split(BIGRAM_JOIN));
  // Column 0 is the ham logit, fixed at 0; column 1 the spam logit. Softmax over [0, z] is sigmoid(z).
  const w = new Float32Array(v * 2);
  for (let i = 0; i < v; i++) w[i * 2 + 1] = classifier.weights[i];
  const nodes: INode[] = [
    node('StringNormalizer', ['text'], ['lower'], [str('case_change_action', 'LOWER'), int('is_case_sensitive', 1), str('locale', NORMALIZER_LOCALE)]),
    node('Tokenizer', ['lower'], ['tokens'], [int('mark', 0), str('pad_value', PAD_VALUE), int('mincharnum', 1), str('tokenexp', TOKEN_PATTERN)], 'com.microsoft'),
    node('TfIdfVectorizer', ['tokens'], ['tf'], [
      str('mode', 'TF'), int('min_gram_length', 1), int('max_gram_length', 2), int('max_skip_count', 0),
      ints('ngram_counts', [0, vocab.unigramCount]), ints('ngram_indexes', Array.from({ length: v }, (_, i) => i)), strs('pool_strings', pool),
    ]),
    node('Add', ['tf', 'one'], ['tf_plus_one']),
    node('Log', ['tf_plus_one'], ['sublinear_tf']),
    node('Mul', ['sublinear_tf', 'idf'], ['tfidf']),
    node('ReduceL2', ['tfidf'], ['norm'], [ints('axes', [1]), int('keepdims', 1)]),
    node('Max', ['norm', 'epsilon'], ['safe_norm']),
    node('Div', ['tfidf', 'safe_norm'], ['features']),
    node('MatMul', ['features', 'coefficients'], ['scores']),
    node('Add', ['scores', 'intercepts'], ['logits']),
    node('Softmax', ['logits'], ['probabilities'], [int('axis', 1)]),
    node('ArgMax', ['probabilities'], ['class_index'], [int('axis', 1), int('keepdims', 0)]),
    node('Gather', ['class_labels', 'class_index'], ['label'], [int('axis', 0)]),
  ];
  const initializer: ITensor[] = [
    floatTensor('one', [1], [1]),
    floatTensor('idf', [v], vocab.idf),
    floatTensor('epsilon', [1], [NORM_EPSILON]),
    floatTensor('coefficients', [v, 2], w),
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
