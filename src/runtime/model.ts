// A model version ready to serve: its manifest, its engine, its declared inputs and its batcher.
// Loading checks that the manifest and the graph agree, and warms the engine up before serving.
import { Batcher, type BatchObserver } from '../batching/index.ts';
import type { BatchingConfig, RuntimeConfig } from '../config/index.ts';
import { ModelGateError } from '../errors.ts';
import type { Tensor, TensorMetadata } from '../protocol/index.ts';
import type { Manifest, TensorSpec } from '../registry/manifest.ts';
import { warmupInputs, type Engine } from './engine.ts';
import { createLoneRunner, type LoneRunner } from './lone.ts';
import { createWorkerEngine } from './worker-engine.ts';

export interface ModelSource {
  name: string;
  version: string;
  manifest: Manifest;
  /** The ONNX graph, in memory (a decrypted package is never written to disk). */
  model: Uint8Array;
  /** Where it came from, for logs: a folder or a package digest. */
  origin: string;
}

export interface ServedVersion {
  readonly name: string;
  readonly version: string;
  readonly manifest: Manifest;
  /** Where it came from: a repository folder or a package digest. */
  readonly origin: string;
  readonly platform: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorMetadata[];
  /** Whether concurrent requests are merged (batching on and every input batchable). */
  readonly batched: boolean;
  readonly batcher: Batcher;
  /** `alone`: no other inference is in flight, so a lone batch may run on this thread (lone.ts). */
  infer(inputs: Tensor[], outputNames: string[], signal?: AbortSignal, alone?: boolean): Promise<Tensor[]>;
  /** Waits for queued and running requests, then frees the engine. */
  unload(): Promise<void>;
}

export interface LoadSettings {
  batching: BatchingConfig;
  runtime: RuntimeConfig;
  observer?: BatchObserver;
}

function mismatch(src: ModelSource, message: string): ModelGateError {
  return new ModelGateError('MG_PACKAGE_INVALID', `model '${src.name}' version '${src.version}': ${message}`);
}

/** Declared inputs: the manifest's when it has them (checked against the graph), else the graph's. */
function declaredInputs(src: ModelSource, engine: Engine): TensorSpec[] {
  if (!src.manifest.inputs) return engine.inputs.map((t) => ({ ...t, shape: [...t.shape] }));
  const byName = new Map(engine.inputs.map((t) => [t.name, t]));
  for (const spec of src.manifest.inputs) {
    const actual = byName.get(spec.name);
    if (!actual) throw mismatch(src, `the manifest declares input '${spec.name}', which the graph does not have`);
    if (actual.datatype !== spec.datatype) throw mismatch(src, `input '${spec.name}' is ${actual.datatype} in the graph, ${spec.datatype} in the manifest`);
    const agrees = spec.shape.length === actual.shape.length && spec.shape.every((d, i) => d === actual.shape[i] || actual.shape[i] === -1);
    if (!agrees) throw mismatch(src, `input '${spec.name}' has shape [${actual.shape}] in the graph, [${spec.shape}] in the manifest`);
  }
  const missing = engine.inputs.find((t) => !src.manifest.inputs!.some((s) => s.name === t.name));
  if (missing) throw mismatch(src, `the graph input '${missing.name}' is not declared in the manifest`);
  return src.manifest.inputs;
}

export async function loadVersion(src: ModelSource, settings: LoadSettings): Promise<ServedVersion> {
  const engine = await createWorkerEngine(src.model, settings.runtime, settings.runtime.workers);
  let lone: LoneRunner | undefined;
  try {
    const inputs = declaredInputs(src, engine);
    const batched =
      settings.batching.enabled &&
      inputs.every((t) => t.shape.length > 0 && t.shape[0] === -1) &&
      engine.outputs.every((t) => t.shape.length > 0 && t.shape[0] === -1);
    if (settings.runtime.warmup) {
      await engine.run(warmupInputs(engine), engine.outputs.map((o) => o.name));
      // Judging a graph's speed means running it: not for a model whose warm-up is turned off.
      lone = await createLoneRunner(src.model, settings.runtime, { budgetMs: settings.runtime.loneInlineMs, worker: engine });
    }
    const batcher = new Batcher(
      `model '${src.name}' version '${src.version}'`,
      (feeds, outs, alone) => {
        const inline = alone ? lone?.run(feeds, outs) : undefined;
        if (inline) settings.observer?.onInline?.();
        return inline ?? engine.run(feeds, outs);
      },
      { ...settings.batching, maxBatchSize: batched ? settings.batching.maxBatchSize : 1 },
      settings.observer,
    );
    return {
      name: src.name,
      version: src.version,
      manifest: src.manifest,
      origin: src.origin,
      platform: engine.platform,
      inputs,
      outputs: engine.outputs,
      batched,
      batcher,
      infer: (feeds, outs, signal, alone) => batcher.submit(feeds, outs, signal, alone),
      async unload() {
        batcher.close();
        await batcher.drain();
        await Promise.all([engine.dispose(), lone?.dispose()]);
      },
    };
  } catch (err) {
    await Promise.all([engine.dispose(), lone?.dispose()]);
    throw err;
  }
}
