// What the dataplane needs of an inference engine; ONNX Runtime today, an LLM engine later.
import type { Tensor, TensorMetadata } from '../protocol/index.ts';
import { DATATYPE_INFO } from '../protocol/index.ts';

export interface Engine {
  /** OIP `platform` of the model metadata, e.g. onnxruntime_onnx. */
  readonly platform: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  /** Runs the graph on validated inputs; rejects with a catalog error. */
  run(inputs: Tensor[], outputNames: string[]): Promise<Tensor[]>;
  dispose(): Promise<void>;
}

/** A small valid input (variable dimensions set to 1) used to warm an engine up after loading. */
export function warmupInputs(engine: Engine): Tensor[] {
  return engine.inputs.map((spec) => {
    const shape = spec.shape.map((d) => (d < 0 ? 1 : d));
    const count = shape.reduce((a, b) => a * b, 1);
    const data = spec.datatype === 'BYTES' ? new Array<string>(count).fill('warm up') : DATATYPE_INFO[spec.datatype].make(count);
    return { name: spec.name, datatype: spec.datatype, shape, data };
  });
}
