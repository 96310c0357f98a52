// The feature worker thread: keeps one computer per model version and answers batches of jobs.
import { parentPort } from 'node:worker_threads';
import { createFeatureComputer, type FeatureComputer } from './compute.ts';
import type { FeatureReply, FeatureRequest } from './protocol.ts';

const port = parentPort!;
const computers = new Map<string, FeatureComputer>();

port.on('message', (msg: FeatureRequest) => {
  if (msg.type === 'spec') {
    computers.set(msg.key, createFeatureComputer(msg.spec));
    return;
  }
  if (msg.type === 'forget') {
    computers.delete(msg.key);
    return;
  }
  const results: Extract<FeatureReply, { type: 'results' }>['results'] = msg.jobs.map(({ id, key, job }) => {
    const compute = computers.get(key);
    if (!compute) return { id, error: `no feature spec '${key}'` };
    try {
      return { id, features: compute(job) };
    } catch (err) {
      return { id, error: err instanceof Error ? err.message : String(err) };
    }
  });
  port.postMessage({ type: 'results', results } satisfies FeatureReply);
});
// Started (module loading can take a while under load): the stall watchdog counts from here.
port.postMessage({ type: 'ready' } satisfies FeatureReply);
