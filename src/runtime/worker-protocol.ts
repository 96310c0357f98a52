// Messages between the server thread and an engine worker thread.
import type { Tensor, TensorMetadata } from '../protocol/index.ts';

export type WorkerRequest =
  | { type: 'run'; id: number; feeds: Tensor[]; outputs: string[] }
  | { type: 'dispose' };

export type WorkerReply =
  | { type: 'ready'; platform: string; inputs: TensorMetadata[]; outputs: TensorMetadata[] }
  | { type: 'load-failed'; error: { code: string; message: string } }
  | { type: 'result'; id: number; outputs: Tensor[] }
  | { type: 'failure'; id: number; error: { code: string; message: string } };

/** Buffers of numeric outputs, moved rather than copied back to the server thread. */
export function collectTransfers(tensors: readonly Tensor[]): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const t of tensors) {
    if (!Array.isArray(t.data) && t.data.buffer instanceof ArrayBuffer) seen.add(t.data.buffer);
  }
  return [...seen];
}
