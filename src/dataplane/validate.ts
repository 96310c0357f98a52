// Checks a decoded request against the version's declared inputs and outputs: names, datatypes,
// shapes, then the declared constraints. What passes here is safe to hand to the engine.
import { errors } from '../errors.ts';
import type { InferenceRequest, Tensor } from '../protocol/index.ts';
import type { ServedVersion } from '../runtime/index.ts';
import { applyConstraints } from '../security/index.ts';

function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export interface ValidatedRequest {
  inputs: Tensor[];
  outputs: string[];
}

export function validateRequest(v: ServedVersion, req: InferenceRequest): ValidatedRequest {
  const declared = new Map(v.inputs.map((s) => [s.name, s]));
  const inputs: Tensor[] = [];
  for (const t of req.inputs) {
    const spec = declared.get(t.name);
    if (!spec) {
      throw errors.invalidTensor(`unknown input '${t.name}'; model '${v.name}' takes: ${[...declared.keys()].join(', ')}`);
    }
    if (t.datatype !== spec.datatype) {
      throw errors.invalidTensor(`input '${t.name}' must be ${spec.datatype}, got ${t.datatype}`);
    }
    const fits = t.shape.length === spec.shape.length && spec.shape.every((d, i) => d === -1 || d === t.shape[i]);
    if (!fits) throw errors.invalidTensor(`input '${t.name}' must have shape ${fmt(spec.shape)} (-1: any size), got ${fmt(t.shape)}`);
    if (spec.shape[0] === -1 && t.shape[0] === 0) throw errors.invalidTensor(`input '${t.name}' has no rows`);
    inputs.push(applyConstraints(t, spec.constraints));
  }
  for (const name of declared.keys()) {
    if (!req.inputs.some((t) => t.name === name)) throw errors.invalidTensor(`missing input '${name}'`);
  }
  if (v.batched && inputs.length > 1) {
    const rows = inputs[0].shape[0];
    const other = inputs.find((t) => t.shape[0] !== rows);
    if (other) throw errors.invalidTensor(`inputs '${inputs[0].name}' and '${other.name}' have different batch sizes`);
  }
  const known = v.outputs.map((o) => o.name);
  const outputs = req.outputs ?? known;
  for (const o of outputs) {
    if (!known.includes(o)) throw errors.invalidTensor(`unknown output '${o}'; model '${v.name}' answers: ${known.join(', ')}`);
  }
  if (new Set(outputs).size !== outputs.length) throw errors.invalidRequest('an output is requested twice');
  return { inputs, outputs };
}
