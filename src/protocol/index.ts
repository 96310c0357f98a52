// Inference types and their OIP v2 JSON codec; transport-neutral.
export * from './types.ts';
export { DATATYPE_INFO, datatypeFromOrt, elementCount, type Datatype, type TensorData, type NumericArray, type OrtType } from './datatypes.ts';
export { decodeInferRequest, decodeTensor, encodeInferResponse, serializeInferResponse, type DecodeLimits, type JsonTensor } from './json.ts';
