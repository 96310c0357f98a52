// The feedback use case without HTTP, over real version monitors and the real label ledger on a
// SQLite store: labels are validated before any is counted, a failed claim counts and records
// nothing, only accepted labels reach listeners, a version not served here is recorded but counted
// by no tracker, only the asker (or a labeller or admin) may label a request, labels are charged to
// a feedback rate limit of their own, and batches larger than one INSERT are claimed whole.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createFeedback, type AnsweredPrediction, type FeedbackItem } from '../../src/dataplane/index.ts';
import { claimLabels, feedbackConfigSchema } from '../../src/monitoring/feedback/index.ts';
import { VersionMonitors } from '../../src/monitoring/version-monitors.ts';
import { driftConfigSchema } from '../../src/monitoring/drift/index.ts';
import { oodConfigSchema } from '../../src/monitoring/profile/index.ts';
import type { ServedVersion } from '../../src/runtime/index.ts';
import type { Principal } from '../../src/security/index.ts';
import { MemoryRateLimiter } from '../../src/security/rate-limit/memory.ts';
import { RateLimitPolicy } from '../../src/security/rate-limit/policy.ts';
import type { Store } from '../../src/store/index.ts';
import { sqliteTarget } from '../store/targets.ts';

const MANIFEST = { labels: ['ham', 'spam'], metrics: { positiveLabel: 'spam', accuracy: 0.99, precision: 0.98, recall: 0.99, f1: 0.99 } };
const version = (v: string) => ({ name: 'spam', version: v, manifest: MANIFEST }) as unknown as ServedVersion;
const alice: Principal = { id: 'key:alice', kind: 'api-key', roles: ['predictor'], models: ['spam'] } as Principal;
const bob: Principal = { id: 'key:bob', kind: 'api-key', roles: ['predictor'], models: ['spam'] } as Principal;
const admin: Principal = { id: 'bootstrap-admin', kind: 'bootstrap', roles: ['admin'] } as Principal;
const labeller: Principal = { id: 'key:pipeline', kind: 'api-key', roles: ['labeller'], models: ['spam'] } as Principal;
const elsewhere: Principal = { id: 'key:fraud-pipeline', kind: 'api-key', roles: ['labeller'], models: ['fraud'] } as Principal;

const target = sqliteTarget();
let store: Store;
after(async () => {
  await store?.close();
  await target.cleanup();
});

async function setup(answered = new Map<string, AnsweredPrediction>(), admit?: (p: Principal, labels: number) => Promise<void>) {
  store ??= await target.open();
  const monitors = new VersionMonitors({
    drift: driftConfigSchema.parse({}), feedback: feedbackConfigSchema.parse({ minLabelled: 1 }), ood: oodConfigSchema.parse({}), driftEnabled: false, logger: pino({ level: 'silent' }),
  });
  const v1 = monitors.for(version('1')).feedback!;
  let failClaims = false;
  const heard: string[] = [];
  const model = `spam-${Math.random().toString(36).slice(2)}`; // one ledger, a fresh model name per case
  const fb = createFeedback({
    monitors,
    listeners: [(_m, item) => heard.push(item.requestId)],
    loaded: () => [version('1')],
    ...(admit && { admit }),
    history: {
      answered: async (_m, ids) => new Map(ids.filter((id) => answered.has(id)).map((id) => [id, answered.get(id)!])),
      claim: (_m, labels) => (failClaims ? Promise.reject(new Error('store down')) : claimLabels(store, model, labels)),
    },
  });
  const ledger = async () => (await store.db.selectFrom('feedback_labels').select(['request_id', 'version']).where('model', '=', model).execute()).map((r) => `${r.request_id}@${r.version}`).sort();
  return { fb, v1, heard, ledger, fail: (on: boolean) => (failClaims = on) };
}
const outcomes = (rs: { outcome: string }[]) => rs.map((r) => r.outcome);

test('a bad label refuses the whole request before anything is counted', async () => {
  const { fb, v1, heard, ledger } = await setup();
  v1.recordPrediction('r1', 'ham', alice.id);
  await assert.rejects(fb.feedback(alice, 'spam', [{ requestId: 'r1', label: 'ham' }, { requestId: 'r1', label: 'phish' }]), /label 'phish' is not one of the model's labels: ham, spam/);
  assert.deepEqual([v1.current().totalLabelled, heard, await ledger()], [0, [], []]);
});

test('a claim that fails counts and records nothing; sent again, the labels are accepted', async () => {
  const { fb, v1, heard, ledger, fail } = await setup();
  v1.recordPrediction('r1', 'ham', alice.id);
  v1.recordPrediction('r2', 'spam', alice.id);
  const items: FeedbackItem[] = [{ requestId: 'r1', label: 'ham' }, { requestId: 'r2', label: 'ham' }];
  fail(true);
  await assert.rejects(fb.feedback(alice, 'spam', items), /store down/);
  assert.deepEqual([v1.current().totalLabelled, heard], [0, []]);
  fail(false);
  assert.deepEqual(outcomes(await fb.feedback(alice, 'spam', items)), ['accepted', 'accepted']);
  assert.deepEqual([v1.current().totalLabelled, v1.current().metrics.accuracy, heard, await ledger()], [2, 0.5, ['r1', 'r2'], ['r1@1', 'r2@1']]);
});

test('only the asker, a labeller or an admin may label a request; for anyone else it does not exist', async () => {
  const answered = new Map([['remote', { version: '1', label: 'spam', at: Date.now(), principal: alice.id }]]);
  const { fb, v1, heard } = await setup(answered);
  v1.recordPrediction('local', 'ham', alice.id);
  assert.deepEqual(outcomes(await fb.feedback(bob, 'spam', [{ requestId: 'local', label: 'spam' }, { requestId: 'remote', label: 'ham' }])), ['unknown', 'unknown']);
  assert.deepEqual(heard, [], 'listeners hear accepted labels only');
  assert.deepEqual(outcomes(await fb.feedback(admin, 'spam', [{ requestId: 'local', label: 'ham' }, { requestId: 'remote', label: 'spam' }])), ['accepted', 'accepted']);
  assert.deepEqual(outcomes(await fb.feedback(alice, 'spam', [{ requestId: 'local', label: 'ham' }])), ['duplicate']);
});

test('a labeller may label any request of the models in its scope, and none of another model', async () => {
  const answered = new Map([['remote', { version: '1', label: 'spam', at: Date.now(), principal: alice.id }]]);
  const { fb, v1, ledger } = await setup(answered);
  v1.recordPrediction('local', 'ham', bob.id);
  assert.deepEqual(outcomes(await fb.feedback(labeller, 'spam', [{ requestId: 'local', label: 'spam' }, { requestId: 'remote', label: 'spam' }])), ['accepted', 'accepted']);
  assert.deepEqual(await ledger(), ['local@1', 'remote@1']);
  await assert.rejects(fb.feedback(elsewhere, 'spam', [{ requestId: 'local', label: 'ham' }]), { code: 'MG_FORBIDDEN' });
  await assert.rejects(fb.feedback(undefined, 'spam', [{ requestId: 'local', label: 'ham' }]), { code: 'MG_UNAUTHENTICATED' });
});

test('labels are charged to a feedback budget of their own before any lookup; a refused request counts nothing', async () => {
  const policy = new RateLimitPolicy(new MemoryRateLimiter({ maxKeys: 100 }), {
    perPrincipal: { capacity: 1, refillPerSecond: 0.001 }, // the inference budget, which labelling must not touch
    feedbackPerPrincipal: { capacity: 3, refillPerSecond: 0.001 },
  });
  const { fb, v1, ledger } = await setup(undefined, (p, n) => policy.checkLabels(p.id, n));
  for (const id of ['a', 'b', 'c']) v1.recordPrediction(id, 'ham', alice.id);
  assert.deepEqual(outcomes(await fb.feedback(alice, 'spam', [{ requestId: 'a', label: 'ham' }, { requestId: 'b', label: 'ham' }])), ['accepted', 'accepted']);
  await assert.rejects(fb.feedback(alice, 'spam', [{ requestId: 'c', label: 'ham' }, { requestId: 'zz', label: 'ham' }]), (err: Error & { code?: string; retryAfterSeconds?: number }) => {
    assert.equal(err.code, 'MG_RATE_LIMITED');
    assert.match(err.message, /^feedback rate limit exceeded; retry in \d+ s$/);
    assert.ok(err.retryAfterSeconds! > 0);
    return true;
  });
  assert.deepEqual([v1.current().totalLabelled, await ledger()], [2, ['a@1', 'b@1']], 'the refused request counted nothing');
  await assert.rejects(fb.feedback(bob, 'spam', Array.from({ length: 4 }, (_, i) => ({ requestId: `x${i}`, label: 'ham' }))), /has 4 labels but the feedback rate limit allows at most 3 at once/);
  assert.deepEqual(outcomes(await fb.feedback(bob, 'spam', [{ requestId: 'c', label: 'ham' }])), ['unknown'], 'each principal has its own budget');
  assert.equal((await policy.check(alice.id, 'spam', 1)).allowed, true, 'the inference budget is untouched');
});

test('a version not served here is recorded as ground truth and counted by no tracker here', async () => {
  const answered = new Map([['canary', { version: '9', label: 'spam', at: Date.now(), principal: alice.id }]]);
  const { fb, v1, ledger } = await setup(answered);
  const [r] = await fb.feedback(alice, 'spam', [{ requestId: 'canary', label: 'ham' }]);
  assert.deepEqual([r.outcome, r.version], ['accepted', '9']);
  assert.deepEqual([v1.current().totalLabelled, await ledger()], [0, ['canary@9']]);
});

test('an old prediction from the history is expired; one id twice in a batch counts once', async () => {
  const answered = new Map([['old', { version: '1', label: 'ham', at: Date.now() - 8 * 86_400_000, principal: alice.id }]]);
  const { fb, v1 } = await setup(answered);
  assert.deepEqual(outcomes(await fb.feedback(alice, 'spam', [{ requestId: 'old', label: 'ham' }])), ['expired']);
  v1.recordPrediction('twice', 'ham', alice.id);
  await fb.feedback(alice, 'spam', [{ requestId: 'twice', label: 'ham' }, { requestId: 'twice', label: 'spam' }]).then((rs) => assert.deepEqual(outcomes(rs), ['accepted', 'duplicate']));
});

test('a batch larger than one INSERT is claimed whole', async () => {
  const { fb, v1, ledger } = await setup();
  const items = Array.from({ length: 450 }, (_, i) => ({ requestId: `b${String(i).padStart(3, '0')}`, label: i % 2 ? 'spam' : 'ham' }));
  for (const it of items) v1.recordPrediction(it.requestId, 'ham', alice.id);
  const rs = await fb.feedback(alice, 'spam', items);
  assert.equal(rs.filter((r) => r.outcome === 'accepted').length, 450);
  assert.equal((await ledger()).length, 450);
  assert.equal(v1.current().totalLabelled, 450);
});

test('feedback for a model nothing here knows is MG_MODEL_NOT_FOUND, as predict answers; an unknown request of a known model stays unknown', async () => {
  store ??= await target.open();
  const monitors = new VersionMonitors({
    drift: driftConfigSchema.parse({}), feedback: feedbackConfigSchema.parse({ minLabelled: 1 }), ood: oodConfigSchema.parse({}), driftEnabled: false, logger: pino({ level: 'silent' }),
  });
  const retired = `retired-${Math.random().toString(36).slice(2)}`; // served once, by a replica or a process gone since
  const fb = createFeedback({
    monitors,
    loaded: (m) => (m === 'spam' ? [version('1')] : []),
    history: {
      answered: async (m, ids) => new Map(m === retired && ids.includes('old') ? [['old', { version: '1', label: 'ham', at: Date.now(), principal: alice.id }]] : []),
      claim: (m, labels) => claimLabels(store, m, labels),
    },
    registered: async (m) => m === 'elsewhere',
  });
  const item = (requestId: string) => [{ requestId, label: 'ham' }];
  await assert.rejects(fb.feedback(admin, 'nope', item('x')), { code: 'MG_MODEL_NOT_FOUND', message: "model 'nope' is not known to this server" });
  await assert.rejects(fb.feedback(elsewhere, 'nope', item('x')), { code: 'MG_FORBIDDEN' }, 'authorization first: a scoped caller learns nothing about other models');
  assert.deepEqual(outcomes(await fb.feedback(admin, 'spam', item('x'))), ['unknown'], 'loaded here');
  assert.deepEqual(outcomes(await fb.feedback(admin, 'elsewhere', item('x'))), ['unknown'], 'registered, served by other replicas only');
  assert.deepEqual(outcomes(await fb.feedback(admin, retired, [...item('old'), ...item('x')])), ['accepted', 'unknown'], 'a prediction the history holds');
  await assert.rejects(fb.feedback(admin, retired, item('x')), { code: 'MG_MODEL_NOT_FOUND' }, 'nothing here knows it');
});
