// The committed spam-filter graph against bad and odd input, as a server would feed it: every answer is
// a label and finite probabilities summing to 1, and nothing crashes. Also pins the graph's interface.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import p from 'onnx-proto';
import type ort from 'onnxruntime-node';
import { openSpamSession, runSpamGraph, type GraphOutput } from '../../examples/spam-filter/onnx-predict.ts';

const MODEL = 'examples/models/spam-filter/1/model.onnx';
const MB = 1_048_576;

const EDGE_INPUTS: Record<string, string> = {
  empty: '',
  emojiOnly: '\u{1F600}\u{1F4B0}\u{1F525}\u{1F680}'.repeat(50),
  controlOnly: '\u0001\u0002\u0003\u0007\b\u000b\u000c\u001b\u007f\u0085',
  invalidUtf8: Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x90, 0x28, 0xbc]).toString('utf8'),
  megabyte: 'Lorem ipsum dolor sit amet, FREE offer $$$ !!! '.repeat(Math.ceil(MB / 47)).slice(0, MB),
  oneMegabyteToken: 'a'.repeat(MB),
  whitespace: ' \t\r\n'.repeat(1000),
  spammy: 'Subject: FREE MONEY!!! Click here to claim your $1000 prize now. Unsubscribe.',
};

function assertWellFormed(out: GraphOutput, count: number, names: string[]): void {
  assert.equal(out.labels.length, count);
  out.probabilities.forEach(([ham, spam], i) => {
    assert.ok(Number.isFinite(ham) && Number.isFinite(spam), `${names[i]}: non-finite ${ham}, ${spam}`);
    assert.ok(ham >= 0 && spam >= 0, `${names[i]}: negative probability`);
    assert.ok(Math.abs(ham + spam - 1) < 1e-6, `${names[i]}: ${ham} + ${spam} != 1`);
    assert.equal(out.labels[i], spam > ham ? 'spam' : 'ham', `${names[i]}: label does not follow the probabilities`);
  });
}

describe('committed spam-filter graph', () => {
  let session: ort.InferenceSession;
  before(async () => {
    session = await openSpamSession(MODEL);
  });

  it('declares text -> label, probabilities with standard opset imports', () => {
    assert.deepEqual(session.inputNames, ['text']);
    assert.deepEqual(session.outputNames, ['label', 'probabilities']);
    const model = p.onnx.ModelProto.decode(readFileSync(MODEL));
    assert.equal(Number(model.irVersion), 8);
    const opsets = Object.fromEntries(model.opsetImport.map((o) => [o.domain ?? '', Number(o.version)]));
    assert.deepEqual(opsets, { '': 17, 'com.microsoft': 1 });
    const graph = model.graph!;
    const dims = (v: p.onnx.IValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    assert.deepEqual(graph.input!.map((v) => [v.name, v.type!.tensorType!.elemType, dims(v)]), [['text', p.onnx.TensorProto.DataType.STRING, ['N']]]);
    assert.deepEqual(graph.output!.map((v) => [v.name, v.type!.tensorType!.elemType, dims(v)]), [
      ['label', p.onnx.TensorProto.DataType.STRING, ['N']],
      ['probabilities', p.onnx.TensorProto.DataType.FLOAT, ['N', 2]],
    ]);
    const ops = graph.node!.map((n) => n.opType);
    for (const op of ['StringNormalizer', 'Tokenizer', 'TfIdfVectorizer', 'Softmax', 'ArgMax']) assert.ok(ops.includes(op), op);
    assert.ok(readFileSync(MODEL).length < 4 * MB, 'model.onnx should stay a few MB at most');
  });

  for (const [name, text] of Object.entries(EDGE_INPUTS)) {
    it(`answers a single ${name} text with finite probabilities`, async () => {
      assertWellFormed(await runSpamGraph(session, [text]), 1, [name]);
    });
  }

  it('answers a batch mixing all of them, each row as it would alone', async () => {
    const names = Object.keys(EDGE_INPUTS);
    const texts = Object.values(EDGE_INPUTS);
    const batch = await runSpamGraph(session, texts);
    assertWellFormed(batch, texts.length, names);
    for (let i = 0; i < texts.length; i++) {
      const alone = await runSpamGraph(session, [texts[i]]);
      assert.equal(batch.labels[i], alone.labels[0], names[i]);
      assert.ok(Math.abs(batch.probabilities[i][1] - alone.probabilities[0][1]) < 1e-6, names[i]);
    }
  });

  it('texts without any token all get the same answer: the all-zero feature vector, not NaN', async () => {
    const out = await runSpamGraph(session, ['', EDGE_INPUTS.emojiOnly, EDGE_INPUTS.controlOnly, EDGE_INPUTS.invalidUtf8.replace(/[a-z0-9]/gi, '')]);
    for (const row of out.probabilities) assert.deepEqual(row, out.probabilities[0]);
  });

  it('recognises obvious spam and obvious ham', async () => {
    const out = await runSpamGraph(session, [
      EDGE_INPUTS.spammy,
      'From: alice@example.org\nSubject: Re: patch for the build script\n\nThanks, I merged your patch into the CVS tree. The test suite passes on Linux now.',
    ]);
    assert.deepEqual(out.labels, ['spam', 'ham']);
  });

  it('sees nothing after a NUL character (onnxruntime-node passes C strings): servers must reject NUL', async () => {
    const [withNul, cut] = (await runSpamGraph(session, [`hello\u0000${EDGE_INPUTS.spammy}`, 'hello'])).probabilities;
    assert.deepEqual(withNul, cut);
  });
});
