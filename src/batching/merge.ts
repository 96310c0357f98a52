// Pure merge and split of requests along the batch (first) dimension. No queue, no timer: these are
// the parts that decide correctness, so they are kept apart and tested on their own.
import { ModelGateError } from '../errors.ts';
import { DATATYPE_INFO, type Tensor, type TensorData } from '../protocol/index.ts';

/** Requests merge only when everything but the batch dimension agrees. */
export function batchKey(inputs: readonly Tensor[], outputs: readonly string[]): string {
  const parts = [...inputs]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((t) => `${t.name}:${t.datatype}:${t.shape.slice(1).join('x')}`);
  return `${parts.join('|')}>${outputs.join(',')}`;
}

/** Rows of a request: the batch dimension of its first input (callers check inputs agree). */
export function rowsOf(inputs: readonly Tensor[]): number {
  return inputs.length === 0 || inputs[0].shape.length === 0 ? 1 : inputs[0].shape[0];
}

function concat(parts: TensorData[], total: number, datatype: Tensor['datatype']): TensorData {
  if (parts.length === 1) return parts[0];
  if (datatype === 'BYTES') return ([] as string[]).concat(...(parts as string[][]));
  const out = DATATYPE_INFO[datatype].make(total) as Float32Array;
  let offset = 0;
  for (const p of parts as Float32Array[]) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Concatenates the same-named inputs of several requests along dimension 0. */
export function mergeInputs(requests: readonly (readonly Tensor[])[]): Tensor[] {
  if (requests.length === 1) return [...requests[0]];
  return requests[0].map((first) => {
    const parts = requests.map((r) => {
      const t = r.find((x) => x.name === first.name);
      if (!t) throw new ModelGateError('MG_INTERNAL', `batch member lacks input '${first.name}'`);
      return t;
    });
    const rows = parts.reduce((n, t) => n + t.shape[0], 0);
    const total = parts.reduce((n, t) => n + t.data.length, 0);
    return {
      name: first.name,
      datatype: first.datatype,
      shape: [rows, ...first.shape.slice(1)],
      data: concat(parts.map((t) => t.data), total, first.datatype),
    };
  });
}

function slice(data: TensorData, start: number, end: number): TensorData {
  return Array.isArray(data) ? data.slice(start, end) : (data.slice(start, end) as TensorData);
}

/** Splits merged outputs back, one list per request, in the order the requests were merged. */
export function splitOutputs(outputs: readonly Tensor[], rows: readonly number[]): Tensor[][] {
  const total = rows.reduce((a, b) => a + b, 0);
  if (rows.length === 1) return [[...outputs]];
  const result: Tensor[][] = rows.map(() => []);
  for (const out of outputs) {
    if (out.shape.length === 0 || out.shape[0] !== total) {
      throw new ModelGateError(
        'MG_INFERENCE_FAILED',
        `output '${out.name}' has shape [${out.shape.join(', ')}], not ${total} rows; the model cannot be batched (disable batching for it)`,
      );
    }
    const perRow = out.data.length / total;
    let row = 0;
    rows.forEach((n, i) => {
      result[i].push({
        name: out.name,
        datatype: out.datatype,
        shape: [n, ...out.shape.slice(1)],
        data: slice(out.data, row * perRow, (row + n) * perRow),
      });
      row += n;
    });
  }
  return result;
}
