import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeInferRequest, encodeInferResponse } from '../../src/protocol/index.ts';

const limits = { maxElements: 1000 };
const one = (input: object) => decodeInferRequest({ inputs: [input] }, limits).inputs[0];

test('every JSON datatype decodes into its typed array', () => {
  const cases: [string, unknown[], unknown][] = [
    ['BOOL', [true, false], Uint8Array],
    ['UINT8', [0, 255], Uint8Array],
    ['UINT16', [0, 65535], Uint16Array],
    ['UINT32', [0, 4294967295], Uint32Array],
    ['UINT64', [0, 9007199254740991], BigUint64Array],
    ['INT8', [-128, 127], Int8Array],
    ['INT16', [-32768, 32767], Int16Array],
    ['INT32', [-2147483648, 2147483647], Int32Array],
    ['INT64', [-9007199254740991, 42], BigInt64Array],
    ['FP32', [1.5, -2], Float32Array],
    ['FP64', [1e300, -2], Float64Array],
  ];
  for (const [datatype, data, ctor] of cases) {
    const t = one({ name: 'x', datatype, shape: [2], data });
    assert.ok(t.data instanceof (ctor as typeof Uint8Array), datatype);
    assert.equal(t.data.length, 2);
  }
  assert.deepEqual(Array.from(one({ name: 'x', datatype: 'INT64', shape: [1], data: [42] }).data as BigInt64Array), [42n]);
  assert.deepEqual(one({ name: 's', datatype: 'BYTES', shape: [2], data: ['a', 'b'] }).data, ['a', 'b']);
});

test('nested data is flattened row-major; a count mismatch names the tensor and both counts', () => {
  const t = one({ name: 'x', datatype: 'FP32', shape: [2, 2], data: [[1, 2], [3, 4]] });
  assert.deepEqual(Array.from(t.data as Float32Array), [1, 2, 3, 4]);
  assert.throws(() => one({ name: 'x', datatype: 'FP32', shape: [2, 2], data: [[1, 2], [3]] }), /input 'x': shape \[2, 2\] needs 4 elements, 'data' has 3/);
  assert.throws(() => one({ name: 'x', datatype: 'FP32', shape: [2], data: [[[1]], [[2]]] }), /nested deeper than its shape/);
});

test('elements of the wrong type or out of range are refused with their index', () => {
  assert.throws(() => one({ name: 'x', datatype: 'INT8', shape: [2], data: [1, 128] }), /element 1 is out of range \[-128, 127\]: 128/);
  assert.throws(() => one({ name: 'x', datatype: 'INT32', shape: [1], data: [1.5] }), /element 0 must be an integer/);
  assert.throws(() => one({ name: 'x', datatype: 'FP32', shape: [1], data: ['1'] }), /element 0 must be a number, got string/);
  assert.throws(() => one({ name: 'x', datatype: 'BOOL', shape: [1], data: [1] }), /must be true or false/);
  assert.throws(() => one({ name: 'x', datatype: 'BYTES', shape: [1], data: [7] }), /element 0 must be a string/);
  assert.throws(() => one({ name: 'x', datatype: 'FP32', shape: [1], data: [null] }), /got null/);
});

test('datatype, shape and FP16 problems are explained', () => {
  assert.throws(() => one({ name: 'x', datatype: 'FLOAT', shape: [1], data: [1] }), /unknown datatype "FLOAT"/);
  assert.throws(() => one({ name: 'x', datatype: 'FP16', shape: [1], data: [1] }), /FP16 needs the binary tensor extension/);
  assert.throws(() => one({ name: 'x', datatype: 'FP32', shape: [-1], data: [1] }), /'shape' must be an array/);
  assert.throws(() => one({ name: 'x', datatype: 'FP32', shape: [1001], data: [] }), /1001 elements is more than the limit of 1000/);
});

test('NaN and Infinity may be sent as strings for floating-point tensors only', () => {
  const t = one({ name: 'x', datatype: 'FP64', shape: [3], data: ['NaN', 'Infinity', '-Infinity'] });
  assert.ok(Number.isNaN(t.data[0]));
  assert.equal(t.data[1], Infinity);
  assert.throws(() => one({ name: 'x', datatype: 'INT32', shape: [1], data: ['NaN'] }), /must be a number/);
});

test('request-level checks: inputs, duplicates, outputs, id, parameters', () => {
  assert.throws(() => decodeInferRequest([], limits), /must be a JSON object/);
  assert.throws(() => decodeInferRequest({ inputs: [] }, limits), /'inputs' must be a non-empty array/);
  const x = { name: 'x', datatype: 'FP32', shape: [1], data: [1] };
  assert.throws(() => decodeInferRequest({ inputs: [x, x] }, limits), /input 'x' is given twice/);
  assert.throws(() => decodeInferRequest({ id: 5, inputs: [x] }, limits), /'id' must be a string/);
  assert.throws(() => decodeInferRequest({ inputs: [x], outputs: [{}] }, limits), /outputs\[0\]/);
  assert.throws(() => decodeInferRequest({ inputs: [x], parameters: { a: {} } }, limits), /parameter 'a'/);
  const r = decodeInferRequest({ id: 'r1', inputs: [x], outputs: [{ name: 'y' }], parameters: { a: 1 } }, limits);
  assert.equal(r.id, 'r1');
  assert.deepEqual(r.outputs, ['y']);
  assert.deepEqual(r.parameters, { a: 1 });
});

test('responses encode typed arrays as plain JSON values', () => {
  const body = encodeInferResponse({
    modelName: 'm',
    modelVersion: '2',
    id: 'r',
    outputs: [
      { name: 'b', datatype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
      { name: 'i', datatype: 'INT64', shape: [1], data: new BigInt64Array([7n]) },
      { name: 'f', datatype: 'FP32', shape: [1], data: new Float32Array([0.5]) },
      { name: 's', datatype: 'BYTES', shape: [1], data: ['spam'] },
    ],
  });
  assert.deepEqual(JSON.parse(JSON.stringify(body)), {
    model_name: 'm',
    model_version: '2',
    id: 'r',
    outputs: [
      { name: 'b', datatype: 'BOOL', shape: [2], data: [true, false] },
      { name: 'i', datatype: 'INT64', shape: [1], data: [7] },
      { name: 'f', datatype: 'FP32', shape: [1], data: [0.5] },
      { name: 's', datatype: 'BYTES', shape: [1], data: ['spam'] },
    ],
  });
});
