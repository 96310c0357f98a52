// The worker-thread engine's lifecycle with the real spam-filter graph: answers match the in-process
// engine, a second dispose is harmless, and a run after dispose is refused instead of hanging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/index.ts';
import { createOnnxEngine, createWorkerEngine } from '../../src/runtime/index.ts';

const MODEL = readFileSync('examples/models/spam-filter/1/model.onnx');
const { runtime } = loadConfig({ env: {} });
const feed = (texts: string[]) => [{ name: 'text', datatype: 'BYTES' as const, shape: [texts.length], data: texts }];

test('the worker engine answers as the in-process engine; dispose twice is harmless; a run after it is refused', async () => {
  const worker = await createWorkerEngine(MODEL, runtime);
  const local = await createOnnxEngine(MODEL, runtime);
  try {
    const outputs = worker.outputs.map((o) => o.name);
    const texts = ['Lunch on Friday?', 'FREE money!!! click here now'];
    const [a, b] = await Promise.all([worker.run(feed(texts), outputs), local.run(feed(texts), outputs)]);
    assert.deepEqual(a.map((t) => Array.from(t.data as ArrayLike<unknown>)), b.map((t) => Array.from(t.data as ArrayLike<unknown>)));
  } finally {
    await local.dispose();
  }
  await Promise.all([worker.dispose(), worker.dispose()]);
  await worker.dispose();
  await assert.rejects(worker.run(feed(['after']), ['label']), { code: 'MG_MODEL_NOT_READY' });
});
