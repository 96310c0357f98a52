// SIGTERM finishes the requests in flight, refuses new ones, and exits cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slowModel, writeModel } from '../fixtures/onnx.ts';
import { tempDir } from '../fixtures/server.ts';
import { startModelgate } from './process.ts';

test('graceful shutdown: in-flight requests complete, new ones are refused, exit code 0', async () => {
  const repo = tempDir();
  writeModel(repo, 'slow', '1', slowModel());
  const mg = await startModelgate('serve', ['--model-repository', repo, '--allow-unsigned', 'true', '--batching-max-batch-size', '64']);
  const rows = 64;
  const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 256], data: new Array(rows * 256).fill(0.5) }] });
  const send = () =>
    fetch(`${mg.url}/v2/models/slow/infer`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${mg.token}` }, body });
  const inFlight = [send(), send(), send()];
  // Wait until the server holds them: the queue or the engine is busy.
  for (let i = 0; i < 100; i++) {
    const m = await (await fetch(`${mg.adminUrl}/metrics`, { headers: { authorization: `Bearer ${mg.token}` } })).text();
    if (/modelgate_batch_size_count\{model="slow",version="1"\} [1-9]/.test(m)) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  mg.proc.kill('SIGTERM');
  const results = await Promise.all(inFlight);
  assert.deepEqual(results.map((r) => r.status), [200, 200, 200], 'requests in flight at SIGTERM were answered');
  const late = await send().then((r) => r.status, () => 'refused');
  assert.ok(late === 503 || late === 'refused', `a request after SIGTERM is refused (${late})`);
  assert.equal(await mg.exited, 0);
  assert.match(mg.output(), /shutting down: finishing in-flight requests/);
});
