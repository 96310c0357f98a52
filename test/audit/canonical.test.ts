// Canonical encoding: canonical JSON, the record hash and its domain, entry checks, and the input
// hash's stability across spellings of the same request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { canonicalInputHash, canonicalJson, canonicalRecord, entryToBody, GENESIS_HASH, recordHash } from '../../src/audit/index.ts';
import { decodeInferRequest } from '../../src/protocol/index.ts';
import type { Tensor } from '../../src/protocol/types.ts';

const LIMITS = { maxElements: 1000 };

test('canonical JSON sorts keys at every depth, drops undefined, refuses non-finite numbers', () => {
  assert.equal(canonicalJson({ b: 1, a: [{ d: true, c: null }], e: undefined, f: 'x"y' }), '{"a":[{"c":null,"d":true}],"b":1,"f":"x\\"y"}');
  assert.equal(canonicalJson({ n: 1.0, m: 1e3, k: -0.5 }), '{"k":-0.5,"m":1000,"n":1}');
  assert.throws(() => canonicalJson({ x: Number.NaN }), { code: 'MG_INVALID_REQUEST' });
  assert.throws(() => canonicalJson({ x: Infinity }), { code: 'MG_INVALID_REQUEST' });
});

test('a record hash is SHA-256 over the domain, the previous hash and the canonical record', () => {
  const body = entryToBody({ kind: 'admin', time: '2025-01-01T00:00:00Z', principal: 'root', detail: { reason: 'x', action: 'promote' } });
  const expected = createHash('sha256')
    .update(Buffer.concat([Buffer.from('modelgate-audit-record-v1\0'), Buffer.from(GENESIS_HASH, 'hex'), Buffer.from(canonicalRecord(body))]))
    .digest('hex');
  assert.equal(recordHash(GENESIS_HASH, body), expected);
  assert.equal(body.detail_json, '{"action":"promote","reason":"x"}');
  assert.equal(body.time, '2025-01-01T00:00:00.000Z');
  // Without the domain the same bytes hash differently: a record hash is no other SHA-256.
  assert.notEqual(expected, createHash('sha256').update(Buffer.concat([Buffer.from(GENESIS_HASH, 'hex'), Buffer.from(canonicalRecord(body))])).digest('hex'));
  assert.notEqual(recordHash('11'.repeat(32), body), expected, 'the hash commits to the previous one');
});

test('entries are checked: kind, flag spelling, time, input hash; flags are sorted and unique', () => {
  assert.equal(entryToBody({ kind: 'rejected', flags: ['rate-limited', 'extraction-suspect', 'rate-limited'] }).flags_json, '["extraction-suspect","rate-limited"]');
  assert.throws(() => entryToBody({ kind: 'nope' as 'admin' }), { code: 'MG_INVALID_REQUEST' });
  assert.throws(() => entryToBody({ kind: 'admin', flags: ['Bad Flag'] }), { code: 'MG_INVALID_REQUEST' });
  assert.throws(() => entryToBody({ kind: 'admin', time: 'yesterday' }), { code: 'MG_INVALID_REQUEST' });
  assert.throws(() => entryToBody({ kind: 'inference', inputSha256: 'xyz' }), { code: 'MG_INVALID_REQUEST' });
  assert.throws(() => entryToBody({ kind: 'inference', status: 200.5 }), { code: 'MG_INVALID_REQUEST' });
});

test('the input hash ignores JSON key order, number spelling and input order; values, types and shapes count', () => {
  const a = decodeInferRequest(JSON.parse('{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,2.5,-0]},{"name":"t","datatype":"BYTES","shape":[1],"data":["hi"]}]}'), LIMITS);
  const b = decodeInferRequest(JSON.parse('{"inputs":[{"data":["hi"],"shape":[1],"datatype":"BYTES","name":"t"},{"shape":[1,3],"data":[1.0,2.50,0e0],"name":"x","datatype":"FP32"}]}'), LIMITS);
  assert.equal(canonicalInputHash(a.inputs), canonicalInputHash(b.inputs));
  assert.match(canonicalInputHash(a.inputs), /^[0-9a-f]{64}$/);
  const base: Tensor = { name: 'x', datatype: 'FP32', shape: [3], data: new Float32Array([1, 2, 3]) };
  const h = canonicalInputHash([base]);
  assert.notEqual(canonicalInputHash([{ ...base, data: new Float32Array([1, 2, 4]) }]), h);
  assert.notEqual(canonicalInputHash([{ ...base, shape: [1, 3] }]), h);
  assert.notEqual(canonicalInputHash([{ ...base, datatype: 'FP64', data: new Float64Array([1, 2, 3]) }]), h);
  assert.notEqual(canonicalInputHash([{ ...base, name: 'y' }]), h);
  // Length prefixes: ["ab","c"] and ["a","bc"] are different inputs.
  const s = (data: string[]): Tensor => ({ name: 't', datatype: 'BYTES', shape: [data.length], data });
  assert.notEqual(canonicalInputHash([s(['ab', 'c'])]), canonicalInputHash([s(['a', 'bc'])]));
  assert.equal(canonicalInputHash([{ name: 'i', datatype: 'INT64', shape: [2], data: new BigInt64Array([1n, -2n]) }]),
    canonicalInputHash([{ name: 'i', datatype: 'INT64', shape: [2], data: new BigInt64Array([1n, -2n]) }]));
});
