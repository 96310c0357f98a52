// The ONNX Runtime engine (CPU): loads a graph from bytes held in memory, reads its declared inputs
// and outputs, runs it, and turns runtime failures into catalog errors without paths or internals.
import ort from 'onnxruntime-node';
import { ModelGateError } from '../errors.ts';
import { datatypeFromOrt, DATATYPE_INFO, type Tensor, type TensorData, type TensorMetadata } from '../protocol/index.ts';
import type { RuntimeConfig } from '../config/index.ts';
import type { Engine } from './engine.ts';

/** Runtime messages can name source files of the runtime's build; clients get the message only. */
export function sanitizeRuntimeMessage(message: string): string {
  const first = message.split('\n')[0] ?? '';
  return first
    .replace(/(?:[A-Za-z]:)?(?:\/|\\)[^\s:'"]+(?::\d+)?/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 500);
}

function describe(meta: readonly ort.InferenceSession.ValueMetadata[], kind: string): TensorMetadata[] {
  return meta.map((m) => {
    if (!m.isTensor) throw new ModelGateError('MG_PACKAGE_INVALID', `${kind} '${m.name}' is not a tensor; only tensor inputs and outputs are served`);
    const datatype = datatypeFromOrt(m.type);
    if (!datatype) throw new ModelGateError('MG_PACKAGE_INVALID', `${kind} '${m.name}' has type ${m.type}, which the protocol cannot carry`);
    return { name: m.name, datatype, shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) };
  });
}

function toOrt(t: Tensor): ort.Tensor {
  const type = DATATYPE_INFO[t.datatype].ort;
  return new ort.Tensor(type as 'float32', t.data as Float32Array, t.shape);
}

function fromOrt(name: string, t: ort.Tensor): Tensor {
  const datatype = datatypeFromOrt(t.type);
  if (!datatype) throw new ModelGateError('MG_INFERENCE_FAILED', `output '${name}' has type ${t.type}, which the protocol cannot carry`);
  return { name, datatype, shape: t.dims.map(Number), data: t.data as TensorData };
}

export async function createOnnxEngine(model: Uint8Array, options: RuntimeConfig): Promise<Engine> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model, {
      intraOpNumThreads: options.intraOpThreads,
      interOpNumThreads: options.interOpThreads,
      graphOptimizationLevel: options.graphOptimizationLevel,
      executionMode: 'sequential',
      // Failures reach callers as catalog errors; the runtime's own stderr lines would only add noise.
      logSeverityLevel: 4,
    });
  } catch (err) {
    throw new ModelGateError('MG_PACKAGE_INVALID', `the ONNX graph cannot be loaded: ${sanitizeRuntimeMessage(String((err as Error).message ?? err))}`);
  }
  const inputs = describe(session.inputMetadata, 'input');
  const outputs = describe(session.outputMetadata, 'output');
  return {
    platform: 'onnxruntime_onnx',
    inputs,
    outputs,
    async run(feeds: Tensor[], outputNames: string[]): Promise<Tensor[]> {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const t of feeds) ortFeeds[t.name] = toOrt(t);
      let result: ort.InferenceSession.ReturnType;
      try {
        result = await session.run(ortFeeds, outputNames);
      } catch (err) {
        throw new ModelGateError('MG_INFERENCE_FAILED', `the model failed on this input: ${sanitizeRuntimeMessage(String((err as Error).message ?? err))}`);
      }
      return outputNames.map((n) => fromOrt(n, result[n]));
    },
    async dispose(): Promise<void> {
      await session.release();
    },
  };
}
