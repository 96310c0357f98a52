// OIP v2 JSON <-> typed tensors. Decoding checks every element against its datatype and the shape,
// so nothing malformed reaches an engine; messages name the tensor and the offending element.
import { randomBytes } from 'node:crypto';
import { errors } from '../errors.ts';
import { DATATYPES } from '../registry/manifest.ts';
import { DATATYPE_INFO, elementCount, type Datatype, type TensorData } from './datatypes.ts';
import type { InferenceRequest, InferenceResponse, Parameters, Tensor } from './types.ts';

export interface DecodeLimits {
  /** Most elements in one tensor. */
  maxElements: number;
}

const MAX_RANK = 8;
const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, inf: Infinity, '-inf': -Infinity, nan: NaN };

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function decodeParameters(v: unknown, where: string): Parameters | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) throw errors.invalidRequest(`${where}: 'parameters' must be an object`);
  for (const [k, p] of Object.entries(v)) {
    if (typeof p !== 'string' && typeof p !== 'number' && typeof p !== 'boolean') {
      throw errors.invalidRequest(`${where}: parameter '${k}' must be a string, number or boolean`);
    }
  }
  return v as Parameters;
}

/** Flattens nested `data` row-major, refusing nesting deeper than the shape's rank. */
function flatten(data: unknown[], rank: number, name: string): unknown[] {
  if (!data.some(Array.isArray)) return data;
  const out: unknown[] = [];
  const walk = (arr: unknown[], depth: number): void => {
    if (depth > Math.max(rank, 1)) throw errors.invalidTensor(`input '${name}': 'data' is nested deeper than its shape`);
    for (const x of arr) {
      if (Array.isArray(x)) walk(x, depth + 1);
      else out.push(x);
    }
  };
  walk(data, 1);
  return out;
}

function fillNumeric(datatype: Datatype, values: unknown[], name: string): TensorData {
  const info = DATATYPE_INFO[datatype];
  const out = info.make(values.length);
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    const bad = (what: string) => errors.invalidTensor(`input '${name}': element ${i} ${what} (datatype ${datatype})`);
    if (info.kind === 'bool') {
      if (typeof v !== 'boolean') throw bad('must be true or false');
      (out as Uint8Array)[i] = v ? 1 : 0;
      continue;
    }
    if (info.kind === 'float' && typeof v === 'string' && v in NON_FINITE) v = NON_FINITE[v];
    if (typeof v !== 'number') throw bad(`must be a number, got ${v === null ? 'null' : typeof v}`);
    if (info.kind !== 'float') {
      if (!Number.isInteger(v)) throw bad(`must be an integer, got ${v}`);
      if (v < info.min! || v > info.max!) throw bad(`is out of range [${info.min}, ${info.max}]: ${v}`);
    }
    if (info.kind === 'bigint') (out as BigInt64Array)[i] = BigInt(v);
    else (out as Float64Array)[i] = v;
  }
  return out;
}

export function decodeTensor(raw: unknown, index: number, limits: DecodeLimits): Tensor {
  if (!isObject(raw)) throw errors.invalidRequest(`inputs[${index}] must be an object`);
  const name = raw.name;
  if (typeof name !== 'string' || name.length === 0) throw errors.invalidRequest(`inputs[${index}]: 'name' must be a non-empty string`);
  const datatype = raw.datatype;
  if (typeof datatype !== 'string' || !(DATATYPES as readonly string[]).includes(datatype)) {
    throw errors.invalidTensor(`input '${name}': unknown datatype ${JSON.stringify(datatype)}; expected one of ${DATATYPES.join(', ')}`);
  }
  if (datatype === 'FP16') {
    throw errors.invalidTensor(`input '${name}': FP16 needs the binary tensor extension, which this server does not accept; send FP32`);
  }
  const shape = raw.shape;
  if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw errors.invalidTensor(`input '${name}': 'shape' must be an array of at most ${MAX_RANK} non-negative integers`);
  }
  const count = elementCount(shape as number[]);
  if (count > limits.maxElements) {
    throw errors.invalidTensor(`input '${name}': ${count} elements is more than the limit of ${limits.maxElements}`);
  }
  if (!Array.isArray(raw.data)) throw errors.invalidTensor(`input '${name}': 'data' must be an array`);
  const flat = flatten(raw.data, shape.length, name);
  if (flat.length !== count) {
    throw errors.invalidTensor(`input '${name}': shape [${shape.join(', ')}] needs ${count} elements, 'data' has ${flat.length}`);
  }
  let data: TensorData;
  if (datatype === 'BYTES') {
    for (let i = 0; i < flat.length; i++) {
      if (typeof flat[i] !== 'string') throw errors.invalidTensor(`input '${name}': element ${i} must be a string (datatype BYTES)`);
    }
    data = flat as string[];
  } else {
    data = fillNumeric(datatype as Datatype, flat, name);
  }
  const parameters = decodeParameters(raw.parameters, `input '${name}'`);
  return { name, datatype: datatype as Datatype, shape: shape as number[], data, ...(parameters && { parameters }) };
}

/** Decodes an OIP v2 JSON infer request body. */
export function decodeInferRequest(body: unknown, limits: DecodeLimits): InferenceRequest {
  if (!isObject(body)) throw errors.invalidRequest('the request body must be a JSON object');
  if (body.id !== undefined && typeof body.id !== 'string') throw errors.invalidRequest("'id' must be a string");
  if (!Array.isArray(body.inputs) || body.inputs.length === 0) throw errors.invalidRequest("'inputs' must be a non-empty array");
  const inputs = body.inputs.map((t, i) => decodeTensor(t, i, limits));
  const seen = new Set<string>();
  for (const t of inputs) {
    if (seen.has(t.name)) throw errors.invalidRequest(`input '${t.name}' is given twice`);
    seen.add(t.name);
  }
  let outputs: string[] | undefined;
  if (body.outputs !== undefined) {
    if (!Array.isArray(body.outputs)) throw errors.invalidRequest("'outputs' must be an array");
    outputs = body.outputs.map((o, i) => {
      if (!isObject(o) || typeof o.name !== 'string') throw errors.invalidRequest(`outputs[${i}] must be an object with a string 'name'`);
      return o.name;
    });
  }
  const parameters = decodeParameters(body.parameters, 'request');
  return { ...(body.id !== undefined && { id: body.id as string }), inputs, ...(outputs && { outputs }), ...(parameters && { parameters }) };
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** 64-bit values beyond ±2^53 stay BigInt: a double would round them (serializeInferResponse writes
 * them digit for digit; JSON's text carries any integer, as Triton's responses do). */
function encodeData(t: Tensor): unknown[] {
  const d = t.data;
  if (Array.isArray(d)) return d;
  if (t.datatype === 'BOOL') return Array.from(d as Uint8Array, (x) => x !== 0);
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Array.from(d, (x: bigint) => (x >= MIN_SAFE && x <= MAX_SAFE ? Number(x) : x));
  return Array.from(d as Float32Array);
}

// Marks a BigInt in JSON.stringify's output; 96 random bits per process, so no model's string output
// can guess it and be turned into a number.
const BIG = `mg-bigint-${randomBytes(12).toString('hex')}:`;
const BIG_QUOTED = new RegExp(`"${BIG}(-?\\d+)"`, 'g');

/**
 * The response as JSON text when an output holds a 64-bit integer beyond ±2^53 (undefined otherwise:
 * the usual serialiser is faster), with those integers written exactly.
 */
export function serializeInferResponse(body: { outputs: JsonTensor[] }): string | undefined {
  const big = body.outputs.some((o) => (o.datatype === 'INT64' || o.datatype === 'UINT64') && o.data.some((x) => typeof x === 'bigint'));
  if (!big) return undefined;
  return JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? `${BIG}${v}` : v)).replace(BIG_QUOTED, '$1');
}

export interface JsonTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown[];
  parameters?: Parameters;
}

export function encodeInferResponse(r: InferenceResponse): Record<string, unknown> & { outputs: JsonTensor[] } {
  return {
    model_name: r.modelName,
    model_version: r.modelVersion,
    ...(r.id !== undefined && { id: r.id }),
    ...(r.parameters && { parameters: r.parameters }),
    outputs: r.outputs.map((t): JsonTensor => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: encodeData(t) })),
  };
}
