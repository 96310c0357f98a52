// The feature worker against the inline computation it takes off the event loop: the same profile rows
// and extraction vectors for every held-out email, each caller its own answer under concurrency, and
// a worker that dies or is closed leaves no caller without its features.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFeatureComputer, FeatureOffload, type FeatureSpec, type Features } from '../../src/dataplane/index.ts';
import { createTextFeatures, parseBaseline } from '../../src/monitoring/profile/index.ts';
import { textFeatures } from '../../src/security/extraction/index.ts';
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

test('one shared scan for profile and vector gives exactly what each definition gives alone', () => {
  const s = spec();
  const compute = createFeatureComputer(s);
  const profile = createTextFeatures(s.profile!);
  const mail = spamSplit().test.map((r) => r.text);
  assert.ok(mail.some((t) => /[^\u0000-\u007f]/.test(t)) && mail.some((t) => !/[^\u0000-\u007f]/.test(t)), 'ASCII and non-ASCII mail both tested');
  const odd = ['', '$$$ !!! WIN', 'UPPER lower 123 a1B2', 'tab\tnew\nline', 'nul\u0000after', 'İSTANBUL \u212Aelvin', 'x'.repeat(5000)];
  for (const t of [...mail, ...odd]) {
    const alone = { rows: [{ ...profile.row(t) }], vectors: [textFeatures(t, s.vectors!)] };
    assert.deepEqual(plain(compute({ profile: [t], vectors: [t] })), plain(alone), JSON.stringify(t.slice(0, 60)));
  }
  // Different texts for the two (normalisation changed the input): each computed from its own.
  const [raw, normalized] = ['Ｆｒｅｅ money NOW', 'Free money NOW'];
  assert.deepEqual(plain(compute({ profile: [raw], vectors: [normalized] })), plain({ rows: [{ ...profile.row(raw) }], vectors: [textFeatures(normalized, s.vectors!)] }));
});

test('the worker computes exactly the inline rows and vectors, each caller getting its own', async () => {
  const s = spec();
  const inline = createFeatureComputer(s);
  const texts = spamSplit().test.map((r) => r.text).slice(0, 300);
  const offload = new FeatureOffload();
  try {
    // All at once: the jobs of one turn travel together and must come back to the right callers.
    // Profile only; different texts for the two; the same text for both (sent once).
    const jobOf = (t: string, i: number) => (i % 3 === 0 ? { profile: [t] } : i % 3 === 1 ? { profile: [t], vectors: [t.toUpperCase()] } : { profile: [t], vectors: [t] });
    const results = await Promise.all(texts.map((t, i) => offload.compute('spam', s, jobOf(t, i))));
    results.forEach((got, i) => {
      const t = texts[i];
      const want = inline(jobOf(t, i));
      assert.deepEqual(plain(got), plain(want), `email ${i}`);
    });
    assert.equal(results[0].vectors, undefined, 'no vectors asked, none computed');
    assert.ok((results[1].rows?.[0]['text.tokens'] ?? 0) > 0);
    // Computed by the worker, not by the inline fallback that gives the same values.
    assert.deepEqual(offload.counts, { worker: texts.length, inline: 0, failed: 0, workerStarts: 1 });
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
    // Two jobs at once go to the worker (a lone one would be computed here): the worker is up.
    await Promise.all([offload.compute('spam', s, { profile: [texts[0]] }), offload.compute('spam', s, { profile: [texts[1]] })]);
    assert.deepEqual([offload.counts.worker, offload.counts.inline], [2, 0]);
    const inFlight = texts.map((t) => offload.compute('spam', s, { vectors: [t] }));
    // The worker thread is killed with jobs out; every caller still gets the right answer.
    await (offload as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    const got = await Promise.all(inFlight);
    got.forEach((f, i) => assert.deepEqual(plain(f), plain(inline({ vectors: [texts[i]] }))));
    assert.equal(offload.counts.inline, texts.length);
    assert.equal(errors.length, 1, 'the unasked stop is reported once');
    // A new worker starts for the next jobs.
    const next = await Promise.all([offload.compute('spam', s, { profile: [texts[1]] }), offload.compute('spam', s, { profile: [texts[3]] })]);
    assert.deepEqual(plain(next[0]), plain(inline({ profile: [texts[1]] })));
    assert.deepEqual([offload.counts.workerStarts, offload.counts.worker], [2, 4]);
    await offload.close();
    assert.deepEqual(plain(await offload.compute('spam', s, { profile: [texts[2]] })), plain(inline({ profile: [texts[2]] })));
  } finally {
    await offload.close();
  }
});

test('a job that fails rejects its own request only; the worker and the other jobs go on', async () => {
  const s = spec();
  const offload = new FeatureOffload();
  try {
    const texts = spamSplit().test.map((r) => r.text).slice(0, 5);
    const good = texts.map((t) => offload.compute('spam', s, { profile: [t] }));
    const bad = offload.compute('spam', s, { vectors: [null as unknown as string] });
    await assert.rejects(bad);
    assert.equal((await Promise.all(good)).length, 5);
    assert.ok((await offload.compute('spam', s, { profile: [texts[0]] })).rows);
    assert.equal(offload.counts.workerStarts, 1, 'the worker was not restarted');
  } finally {
    await offload.close();
  }
});

test('a worker stuck on a job is stopped after stallMs; its jobs fail, later jobs get a new worker', async () => {
  // A token pattern outside the scanning fast path that backtracks for ever on this text.
  const stuck: FeatureSpec = { profile: { kind: 'text', input: 'text', lowercase: false, truncateAtNul: false, tokenPattern: '(a+)+$', vocabulary: [] } };
  const errors: unknown[] = [];
  const offload = new FeatureOffload({ stallMs: 300, onWorkerError: (e) => errors.push(e) });
  try {
    const hung = offload.compute('stuck', stuck, { profile: ['a'.repeat(40) + 'b'] });
    await assert.rejects(hung, { code: 'MG_INTERNAL', message: /in time/ });
    assert.match(String(errors[0]), /more than 300 ms/);
    const s = spec();
    assert.ok((await offload.compute('spam', s, { profile: ['Hello there'] })).rows);
    assert.equal(offload.counts.workerStarts, 2);
  } finally {
    await offload.close();
  }
});

test('a lone job on a quiet server is computed on the event loop, unless its spec could take unbounded time', async () => {
  const s = spec();
  const inline = createFeatureComputer(s);
  const [t] = spamSplit().test.map((r) => r.text);
  const offload = new FeatureOffload();
  try {
    assert.deepEqual(plain(await offload.compute('spam', s, { profile: [t], vectors: [t] })), plain(inline({ profile: [t], vectors: [t] })));
    assert.deepEqual([offload.counts.worker, offload.counts.inline], [0, 1], 'no thread woken for one job');
    // A token pattern outside the scan runs a regular expression: never on the event loop.
    const regex: FeatureSpec = { profile: { kind: 'text', input: 'text', lowercase: true, truncateAtNul: true, tokenPattern: '\\w+', vocabulary: ['hello'] } };
    const f = await offload.compute('regex', regex, { profile: ['Hello world'] });
    assert.equal(f.rows?.[0]['text.tokens'], 2);
    assert.deepEqual([offload.counts.worker, offload.counts.inline], [1, 1]);
  } finally {
    await offload.close();
  }
});
