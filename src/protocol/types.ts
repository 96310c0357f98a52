// Transport-neutral inference types shared by the dataplane, the engines and every wire codec.
import type { Datatype, TensorData } from './datatypes.ts';

export type Parameters = Record<string, string | number | boolean>;

export interface Tensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: TensorData;
  parameters?: Parameters;
}

export interface InferenceRequest {
  id?: string;
  parameters?: Parameters;
  inputs: Tensor[];
  /** Names of the outputs wanted; absent means all. */
  outputs?: string[];
}

export interface InferenceResponse {
  modelName: string;
  modelVersion: string;
  id?: string;
  parameters?: Parameters;
  outputs: Tensor[];
}

export interface TensorMetadata {
  name: string;
  datatype: Datatype;
  /** -1 marks a variable dimension. */
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}
