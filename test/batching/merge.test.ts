import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchKey, mergeInputs, splitOutputs } from '../../src/batching/index.ts';
import type { Tensor } from '../../src/protocol/index.ts';

const f32 = (name: string, shape: number[], values: number[]): Tensor => ({ name, datatype: 'FP32', shape, data: new Float32Array(values) });

test('requests merge along the first dimension in order, and split back to their own rows', () => {
  const a = [f32('x', [1, 2], [1, 2])];
  const b = [f32('x', [2, 2], [3, 4, 5, 6])];
  const merged = mergeInputs([a, b]);
  assert.deepEqual(merged[0].shape, [3, 2]);
  assert.deepEqual(Array.from(merged[0].data as Float32Array), [1, 2, 3, 4, 5, 6]);
  const parts = splitOutputs([f32('y', [3, 2], [10, 20, 30, 40, 50, 60])], [1, 2]);
  assert.deepEqual(parts.map((p) => [p[0].shape, Array.from(p[0].data as Float32Array)]), [
    [[1, 2], [10, 20]],
    [[2, 2], [30, 40, 50, 60]],
  ]);
});

test('string tensors merge and split too', () => {
  const merged = mergeInputs([[{ name: 't', datatype: 'BYTES', shape: [1], data: ['a'] }], [{ name: 't', datatype: 'BYTES', shape: [2], data: ['b', 'c'] }]]);
  assert.deepEqual(merged[0].data, ['a', 'b', 'c']);
  const parts = splitOutputs([{ name: 'l', datatype: 'BYTES', shape: [3], data: ['A', 'B', 'C'] }], [1, 2]);
  assert.deepEqual(parts.map((p) => p[0].data), [['A'], ['B', 'C']]);
});

test('inputs match by name whatever their order in each request', () => {
  const merged = mergeInputs([
    [f32('a', [1, 1], [1]), f32('b', [1, 1], [2])],
    [f32('b', [1, 1], [20]), f32('a', [1, 1], [10])],
  ]);
  assert.deepEqual(Array.from(merged.find((t) => t.name === 'a')!.data as Float32Array), [1, 10]);
  assert.deepEqual(Array.from(merged.find((t) => t.name === 'b')!.data as Float32Array), [2, 20]);
});

test('the batch key separates requests that cannot share an engine call', () => {
  const k = (shape: number[], outs: string[] = ['y']) => batchKey([f32('x', shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(0))], outs);
  assert.equal(k([1, 3]), k([5, 3]), 'batch size does not matter');
  assert.notEqual(k([1, 3]), k([1, 4]), 'inner dimensions must agree');
  assert.notEqual(k([1, 3]), k([1, 3], ['z']), 'requested outputs must agree');
});

test('an output without the batch dimension cannot be split and says so', () => {
  assert.throws(() => splitOutputs([f32('y', [2], [1, 2])], [1, 2]), /output 'y' has shape \[2\], not 3 rows/);
});
