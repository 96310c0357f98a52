// The worker-thread side of a model engine. onnxruntime-node runs a graph synchronously on the thread
// that calls it; running it here keeps the event loop free for HTTP, timers and health checks, and
// lets parsing and inference use different cores.
import { parentPort, workerData } from 'node:worker_threads';
import { isModelGateError } from '../errors.ts';
import type { Tensor } from '../protocol/index.ts';
import type { RuntimeConfig } from '../config/index.ts';
import { createOnnxEngine } from './onnx.ts';
import { collectTransfers, type WorkerReply, type WorkerRequest } from './worker-protocol.ts';

const port = parentPort!;
const { model, options } = workerData as { model: Uint8Array; options: RuntimeConfig };

function errorOf(err: unknown): { code: string; message: string } {
  if (isModelGateError(err)) return { code: err.code, message: err.message };
  return { code: 'MG_INFERENCE_FAILED', message: 'the model failed on this input' };
}

try {
  const engine = await createOnnxEngine(model, options);
  port.postMessage({ type: 'ready', platform: engine.platform, inputs: [...engine.inputs], outputs: [...engine.outputs] } satisfies WorkerReply);
  port.on('message', async (msg: WorkerRequest) => {
    if (msg.type === 'dispose') {
      await engine.dispose();
      port.close();
      return;
    }
    try {
      const outputs: Tensor[] = await engine.run(msg.feeds, msg.outputs);
      port.postMessage({ type: 'result', id: msg.id, outputs } satisfies WorkerReply, collectTransfers(outputs));
    } catch (err) {
      port.postMessage({ type: 'failure', id: msg.id, error: errorOf(err) } satisfies WorkerReply);
    }
  });
} catch (err) {
  port.postMessage({ type: 'load-failed', error: errorOf(err) } satisfies WorkerReply);
}
