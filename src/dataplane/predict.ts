// The simple JSON API for people who do not want tensors: {"text"} or {"inputs": {...}} in, a label,
// its confidence and the class probabilities out; "instances" carries many items in one call.
// Items become one OIP request, so validation, batching and limits are exactly those of infer.
import { errors } from '../errors.ts';
import { decodeTensor, type DecodeLimits, type InferenceResponse, type Tensor } from '../protocol/index.ts';
import type { ServedVersion } from '../runtime/index.ts';
import { applyOutputPolicy } from '../security/output-policy.ts';
import type { InferUseCase, RequestContext } from './infer.ts';

export interface PredictItem {
  text?: unknown;
  inputs?: unknown;
}

export interface Prediction {
  prediction: string;
  confidence?: number;
  probabilities?: Record<string, number>;
}

export interface PredictResult {
  model: string;
  version: string;
  requestId: string;
  predictions: Prediction[];
  /** Safeguard flags raised by the request, e.g. out_of_distribution. */
  flags: string[];
}

function textInput(v: ServedVersion): string {
  const named = v.manifest.predict?.input;
  if (named) return named;
  if (v.inputs.length === 1 && v.inputs[0].datatype === 'BYTES') return v.inputs[0].name;
  throw errors.invalidRequest(`model '${v.name}' does not take plain text; send {"inputs": {...}} with: ${v.inputs.map((i) => i.name).join(', ')}`);
}

function innerShape(value: unknown): number[] {
  const shape: number[] = [];
  let cur = value;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

/** One tensor per declared input, with a row per item. */
function toTensors(v: ServedVersion, items: PredictItem[], limits: DecodeLimits): Tensor[] {
  const usesText = items.some((it) => it.text !== undefined);
  if (usesText) {
    const name = textInput(v);
    const texts = items.map((it, i) => {
      if (typeof it.text !== 'string') throw errors.invalidRequest(`item ${i}: 'text' must be a string`);
      return it.text;
    });
    const spec = v.inputs.find((s) => s.name === name)!;
    const shape = spec.shape.length === 2 ? [texts.length, 1] : [texts.length];
    return [decodeTensor({ name, datatype: 'BYTES', shape, data: texts }, 0, limits)];
  }
  return v.inputs.map((spec, index) => {
    const values = items.map((it, i) => {
      if (it.inputs === null || typeof it.inputs !== 'object' || Array.isArray(it.inputs)) {
        throw errors.invalidRequest(`item ${i}: give 'text' or an 'inputs' object`);
      }
      const value = (it.inputs as Record<string, unknown>)[spec.name];
      if (value === undefined) throw errors.invalidRequest(`item ${i}: missing input '${spec.name}'`);
      return value;
    });
    const inner = spec.shape.length > 1 ? innerShape(values[0]) : [];
    return decodeTensor({ name: spec.name, datatype: spec.datatype, shape: [values.length, ...inner], data: values }, index, limits);
  });
}

function answer(v: ServedVersion, res: InferenceResponse, rows: number): Prediction[] {
  const probName = v.manifest.predict?.probabilities ??
    v.outputs.find((o) => (o.datatype === 'FP32' || o.datatype === 'FP64') && o.shape.length === 2)?.name;
  const labelName = v.manifest.predict?.label ?? v.outputs.find((o) => o.datatype === 'BYTES' && o.shape.length === 1)?.name;
  const probs = res.outputs.find((o) => o.name === probName);
  const label = res.outputs.find((o) => o.name === labelName);
  if (!probs && !label) throw errors.invalidRequest(`model '${v.name}' declares no label or probability output; use the OIP v2 API`);
  const names = v.manifest.labels;
  const out: Prediction[] = [];
  for (let r = 0; r < rows; r++) {
    const p: Prediction = { prediction: '' };
    if (probs) {
      const k = probs.data.length / rows;
      const row = Array.from(probs.data.slice(r * k, (r + 1) * k) as Float32Array, Number);
      let best = 0;
      for (let i = 1; i < k; i++) if (row[i] > row[best]) best = i;
      p.prediction = names?.[best] ?? String(best);
      p.confidence = row[best];
      p.probabilities = Object.fromEntries(row.map((x, i) => [names?.[i] ?? String(i), x]));
    }
    if (label) p.prediction = String((label.data as string[])[r]);
    out.push(p);
  }
  return out;
}

export function createPredict(deps: { infer: InferUseCase; limits: DecodeLimits }) {
  return async function predict(ctx: RequestContext, model: string, version: string | undefined, items: PredictItem[]): Promise<PredictResult> {
    if (items.length === 0) throw errors.invalidRequest("'instances' must hold at least one item");
    // Authorized and routed first, so an unauthorised caller cannot learn which models exist.
    const resolved = deps.infer.resolve(ctx, model, version);
    const served = resolved.served;
    const inputs = toTensors(served, items, deps.limits);
    const { response, answered } = await deps.infer.run(ctx, model, version, { inputs }, resolved);
    const predictions = applyOutputPolicy(answered.policy, answer(served, response, items.length), served.manifest.labels ?? []);
    return { model: response.modelName, version: response.modelVersion, requestId: ctx.requestId, predictions, flags: answered.flags };
  };
}

export type Predict = ReturnType<typeof createPredict>;
