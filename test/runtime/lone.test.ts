// The lone-request runner (src/runtime/lone.ts): a second, in-process session used only within its
// time budget. Real graphs throughout: the spam filter for equal answers, a chain of MatMuls whose
// time grows with the rows for the budget, a graph failing on the warm-up input. The version's
// worker engine is stood in for by an in-process one: the runner only times one call of it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config/index.ts';
import { createLoneRunner, MAX_LONE_INPUT_UNITS } from '../../src/runtime/lone.ts';
import { createOnnxEngine, type Engine } from '../../src/runtime/index.ts';
import type { Tensor } from '../../src/protocol/index.ts';
import { slowModel, zeroFailsModel } from '../fixtures/onnx.ts';

const SPAM = readFileSync('examples/models/spam-filter/1/model.onnx');
const { runtime } = loadConfig({ env: {} });
const engines: Engine[] = [];
/** The options for `model` with budget `budgetMs`: an engine of the graph stands in for the worker. */
async function opts(model: Uint8Array, budgetMs: number, maxModelBytes?: number) {
  const worker = await createOnnxEngine(model, runtime);
  engines.push(worker);
  return { budgetMs, worker, ...(maxModelBytes !== undefined && { maxModelBytes }) };
}
after(() => Promise.all(engines.map((e) => e.dispose())));
const rows = (n: number): Tensor[] => [{ name: 'x', datatype: 'FP32', shape: [n, 256], data: new Float32Array(n * 256).fill(1) }];

test('a lone run answers as the engine does', async (t) => {
  const lone = await createLoneRunner(SPAM, runtime, await opts(SPAM, 50));
  const engine = await createOnnxEngine(SPAM, runtime);
  t.after(async () => Promise.all([lone?.dispose(), engine.dispose()]));
  assert.ok(lone, 'the spam filter answers one row well within 50 ms');
  const feeds: Tensor[] = [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['FREE money!!! click here now'] }];
  const outputs = engine.outputs.map((o) => o.name);
  const [a, b] = await Promise.all([lone.run(feeds, outputs), engine.run(feeds, outputs)]);
  assert.deepEqual(a!.map((x) => Array.from(x.data as ArrayLike<unknown>)), b.map((x) => Array.from(x.data as ArrayLike<unknown>)));
});

test('no runner when inlining is off or the graph is over the size cap; a failing warm-up rejects', async () => {
  assert.equal(await createLoneRunner(SPAM, runtime, await opts(SPAM, 0)), undefined);
  assert.equal(await createLoneRunner(SPAM, runtime, await opts(SPAM, 50, SPAM.byteLength - 1)), undefined);
  const trap = zeroFailsModel(); // the warm-up's zeros index past its table
  await assert.rejects(async () => createLoneRunner(trap, runtime, await opts(trap, 50)), /out of data bounds/);
});

test('a graph slower than the budget on one row gets no runner', async () => {
  // 400 chained 256 x 256 MatMuls: milliseconds for one row, against a budget of 0.01 ms.
  const slow = slowModel(400);
  assert.equal(await createLoneRunner(slow, runtime, await opts(slow, 0.01)), undefined);
});

test('an input larger than the cap goes to the worker, however fast the graph', async (t) => {
  const lone = await createLoneRunner(SPAM, runtime, await opts(SPAM, 50));
  t.after(async () => lone?.dispose());
  assert.ok(lone);
  const text = (n: number): Tensor[] => [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['a'.repeat(n)] }];
  assert.equal(lone.run(text(MAX_LONE_INPUT_UNITS + 1), ['label']), undefined);
  assert.ok(await lone.run(text(MAX_LONE_INPUT_UNITS), ['label']), 'at the cap it still runs here');
});

/** Milliseconds of the in-process engine for `n` rows of a MatMul chain: the fastest of 5 (a busy
 * machine only ever makes a run slower, so the budgets below are set against the graph's best). */
async function timeRows(model: Uint8Array, n: number): Promise<number> {
  const engine = await createOnnxEngine(model, runtime);
  try {
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t0 = performance.now();
      await engine.run(rows(n), ['y']);
      if (i > 0) times.push(performance.now() - t0);
    }
    return Math.min(...times);
  } finally {
    await engine.dispose();
  }
}

test('a runner whose real inputs are slower than the budget retires after a window of runs, and stays retired', async (t) => {
  // Eight MatMuls: one row (the warm-up) in a fraction of a millisecond, 256 rows in many. The budget
  // is a third of the fastest 256-row run here, so every such run is over it; the at-once rule is
  // set aside so that a run slowed by a busy machine cannot retire the runner before the window ends.
  const eight = slowModel(8);
  const budgetMs = (await timeRows(eight, 256)) / 3;
  const lone = await createLoneRunner(eight, runtime, { ...(await opts(eight, budgetMs)), overBudgetAtOnce: Infinity });
  t.after(async () => lone?.dispose());
  assert.ok(lone, `one row is within ${budgetMs} ms`);
  let ran = 0;
  for (let i = 0; i < 40; i++) {
    const out = lone.run(rows(256), ['y']);
    if (!out) break;
    await out;
    ran++;
  }
  assert.equal(ran, 16, 'retired at the end of the first window of 16 slow runs, not before');
  assert.equal(lone.run(rows(1), ['y']), undefined, 'a retired runner stays retired, however small the input');
});

test('one run ten times over budget retires the runner at once', async (t) => {
  // 64 MatMuls, so that one row is mostly arithmetic, not per-call overhead: 256 rows take about 256
  // times one row's time, and a budget of a thirtieth of the fastest 256-row run holds one row with
  // room to spare, while any 256-row run is at least thirty times over it.
  const deep = slowModel(64);
  const budgetMs = (await timeRows(deep, 256)) / 30;
  const lone = await createLoneRunner(deep, runtime, await opts(deep, budgetMs));
  t.after(async () => lone?.dispose());
  assert.ok(lone, `one row is within ${budgetMs} ms`);
  const out = await lone.run(rows(256), ['y']);
  assert.equal(out?.[0].shape[0], 256, 'the slow run itself is answered');
  assert.equal(lone.run(rows(1), ['y']), undefined);
});
