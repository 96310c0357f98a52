// The feature worker against the inline computation it takes off the event loop: the same profile rows
// and extraction vectors for every held-out email, each caller its own answer under concurrency, and
// a worker that dies or is closed leaves no caller without its features.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFeatureComputer, FeatureOffload, type FeatureSpec, type Features } from '../../src/dataplane/index.ts';
import { parseBaseline } from '../../src/monitoring/profile/index.ts';
import { spamManifest, spamSplit } from '../monitoring/fixtures.ts';

function spec(): FeatureSpec {
  const baseline = parseBaseline(spamManifest().baseline);
  if (baseline.profile?.kind !== 'text') throw new Error('the spam filter has a text profile');
  return { profile: baseline.profile, vectors: { hashBits: 12, maxNonZero: 64 } };
}

const plain = (f: Features) => ({
  rows: f.rows?.map((r) => ({ ...r })),
  vectors: f.vectors?.map((v) => [Array.from(v.idx), Array.from(v.val)]),
});

test('the worker computes exactly the inline rows and vectors, each caller getting its own', async () => {
  const s = spec();
  const inline = createFeatureComputer(s);
  const texts = spamSplit().test.map((r) => r.text).slice(0, 300);
  const offload = new FeatureOffload();
  try {
    // All at once: the jobs of one turn travel together and must come back to the right callers.
    const results = await Promise.all(texts.map((t, i) => offload.compute('spam', s, i % 3 === 0 ? { profile: [t] } : { profile: [t], vectors: [t.toUpperCase()] })));
    results.forEach((got, i) => {
      const t = texts[i];
      const want = inline(i % 3 === 0 ? { profile: [t] } : { profile: [t], vectors: [t.toUpperCase()] });
      assert.deepEqual(plain(got), plain(want), `email ${i}`);
    });
    assert.equal(results[0].vectors, undefined, 'no vectors asked, none computed');
    assert.ok((results[1].rows?.[0]['text.tokens'] ?? 0) > 0);
  } finally {
    await offload.close();
  }
});

test('jobs of a worker that dies, and jobs after close, are computed inline', async () => {
  const s = spec();
  const inline = createFeatureComputer(s);
  const texts = spamSplit().test.map((r) => r.text).slice(0, 40);
  const errors: unknown[] = [];
  const offload = new FeatureOffload({ onWorkerError: (e) => errors.push(e) });
  try {
    await offload.compute('spam', s, { profile: [texts[0]] }); // the worker is up
    const inFlight = texts.map((t) => offload.compute('spam', s, { vectors: [t] }));
    // The worker thread is killed with jobs out; every caller still gets the right answer.
    await (offload as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    const got = await Promise.all(inFlight);
    got.forEach((f, i) => assert.deepEqual(plain(f), plain(inline({ vectors: [texts[i]] }))));
    // A new worker starts for the next job.
    assert.deepEqual(plain(await offload.compute('spam', s, { profile: [texts[1]] })), plain(inline({ profile: [texts[1]] })));
    await offload.close();
    assert.deepEqual(plain(await offload.compute('spam', s, { profile: [texts[2]] })), plain(inline({ profile: [texts[2]] })));
  } finally {
    await offload.close();
  }
});
