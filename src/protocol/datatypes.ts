// The OIP v2 datatypes: how each is held in memory, its value range, and its ONNX Runtime name.
import type { Datatype } from '../registry/manifest.ts';

export type { Datatype };

export type NumericArray =
  | Float32Array | Float64Array
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

/** Tensor contents: typed arrays for numbers (Uint8Array 0/1 for BOOL), strings for BYTES. */
export type TensorData = NumericArray | string[];

export type OrtType =
  | 'bool' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'int8' | 'int16' | 'int32' | 'int64'
  | 'float16' | 'float32' | 'float64' | 'string';

interface DatatypeInfo {
  ort: OrtType;
  kind: 'bool' | 'int' | 'bigint' | 'float' | 'string';
  min?: number;
  max?: number;
  make: (n: number) => TensorData;
}

export const DATATYPE_INFO: Record<Datatype, DatatypeInfo> = {
  BOOL: { ort: 'bool', kind: 'bool', make: (n) => new Uint8Array(n) },
  UINT8: { ort: 'uint8', kind: 'int', min: 0, max: 255, make: (n) => new Uint8Array(n) },
  UINT16: { ort: 'uint16', kind: 'int', min: 0, max: 65535, make: (n) => new Uint16Array(n) },
  UINT32: { ort: 'uint32', kind: 'int', min: 0, max: 4294967295, make: (n) => new Uint32Array(n) },
  UINT64: { ort: 'uint64', kind: 'bigint', min: 0, max: Number.MAX_SAFE_INTEGER, make: (n) => new BigUint64Array(n) },
  INT8: { ort: 'int8', kind: 'int', min: -128, max: 127, make: (n) => new Int8Array(n) },
  INT16: { ort: 'int16', kind: 'int', min: -32768, max: 32767, make: (n) => new Int16Array(n) },
  INT32: { ort: 'int32', kind: 'int', min: -2147483648, max: 2147483647, make: (n) => new Int32Array(n) },
  INT64: {
    ort: 'int64',
    kind: 'bigint',
    min: Number.MIN_SAFE_INTEGER,
    max: Number.MAX_SAFE_INTEGER,
    make: (n) => new BigInt64Array(n),
  },
  FP16: { ort: 'float16', kind: 'float', make: (n) => new Uint16Array(n) },
  FP32: { ort: 'float32', kind: 'float', make: (n) => new Float32Array(n) },
  FP64: { ort: 'float64', kind: 'float', make: (n) => new Float64Array(n) },
  BYTES: { ort: 'string', kind: 'string', make: (n) => new Array<string>(n).fill('') },
};

const FROM_ORT = new Map<string, Datatype>(
  (Object.entries(DATATYPE_INFO) as [Datatype, DatatypeInfo][]).map(([dt, info]) => [info.ort, dt]),
);

/** The OIP datatype of an ONNX Runtime tensor type, or undefined for types OIP cannot carry. */
export function datatypeFromOrt(type: string): Datatype | undefined {
  return FROM_ORT.get(type);
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
