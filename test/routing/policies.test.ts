// Every policy through the one contract (policy-contract.ts), plus what only some policies have:
// weight changes that move only the keys whose bucket moved, canary weight 0, blue/green switching.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy, pickVariant, route, seededRng, stickyUnit, type Policy } from '../../src/routing/index.ts';
import { policyContract } from './policy-contract.ts';

const POLICIES: [string, Policy][] = [
  ['single', { kind: 'single', version: '1' }],
  ['canary at 0%', { kind: 'canary', stable: '1', candidate: '2', weight: 0 }],
  ['canary at 5%', { kind: 'canary', stable: '1', candidate: '2', weight: 5 }],
  ['canary at 25%', { kind: 'canary', stable: '1', candidate: '2', weight: 25 }],
  ['canary at 50%', { kind: 'canary', stable: '1', candidate: '2', weight: 50 }],
  ['canary at 100%', { kind: 'canary', stable: '1', candidate: '2', weight: 100 }],
  ['blue/green on blue', { kind: 'blue-green', blue: '1', green: '2', active: 'blue' }],
  ['blue/green on green', { kind: 'blue-green', blue: '1', green: '2', active: 'green' }],
  ['shadow at 100%', { kind: 'shadow', primary: '1', shadow: '2', sampleRate: 1 }],
  ['shadow at 10%', { kind: 'shadow', primary: '1', shadow: '2', sampleRate: 0.1 }],
  ['shadow off', { kind: 'shadow', primary: '1', shadow: '2', sampleRate: 0 }],
  ['A/B 50/50', { kind: 'ab', stickyHeader: 'x-user-id', variants: [{ name: 'a', version: '1', weight: 50 }, { name: 'b', version: '2', weight: 50 }] }],
  ['A/B 70/20/10', { kind: 'ab', stickyHeader: 'x-user-id', variants: [{ name: 'a', version: '1', weight: 7 }, { name: 'b', version: '2', weight: 2 }, { name: 'c', version: '3', weight: 1 }] }],
  ['A/B with a variant at 0', { kind: 'ab', stickyHeader: 'x-user-id', variants: [{ name: 'a', version: '1', weight: 0 }, { name: 'b', version: '2', weight: 1 }, { name: 'c', version: '3', weight: 3 }] }],
];

for (const [name, policy] of POLICIES) policyContract(name, parsePolicy(policy));

test('A/B: changing weights moves only the keys whose bucket moved (5,000 keys, 50/50 -> 60/40)', () => {
  const before = { kind: 'ab', stickyHeader: 'x-user-id', variants: [{ name: 'a', version: '1', weight: 50 }, { name: 'b', version: '2', weight: 50 }] } as const;
  const after = { ...before, variants: [{ name: 'a', version: '1', weight: 60 }, { name: 'b', version: '2', weight: 40 }] };
  const rng = seededRng(9);
  let moved = 0;
  for (let i = 0; i < 5_000; i++) {
    const ctx = { endpoint: 'm', requestId: `r${i}`, stickyKey: `u${i}` };
    const a = route(parsePolicy(before), ctx, rng).primary.arm;
    const b = route(parsePolicy(after), ctx, rng).primary.arm;
    if (a !== b) {
      moved++;
      // Growing a's bucket can only pull users from b into a, never the other way.
      assert.equal(a, 'variant:b');
      assert.equal(b, 'variant:a');
      const u = stickyUnit('m', `u${i}`);
      assert.ok(u >= 0.5 && u < 0.6);
    }
  }
  // Expected 10 % of the keys: 500, binomial sd about 21.
  assert.ok(moved > 400 && moved < 600, `moved ${moved}`);
});

test('A/B: the same key lands independently on two endpoints (the endpoint is part of the hash)', () => {
  let same = 0;
  for (let i = 0; i < 5_000; i++) if ((stickyUnit('one', `u${i}`) < 0.5) === (stickyUnit('two', `u${i}`) < 0.5)) same++;
  assert.ok(same > 2_300 && same < 2_700, `same ${same}`);
});

test('pickVariant: the unit interval is cut by cumulative weights in declared order', () => {
  const variants = [{ name: 'a', version: '1', weight: 1 }, { name: 'b', version: '2', weight: 0 }, { name: 'c', version: '3', weight: 3 }];
  assert.equal(pickVariant(variants, 0).name, 'a');
  assert.equal(pickVariant(variants, 0.2499).name, 'a');
  assert.equal(pickVariant(variants, 0.25).name, 'c');
  assert.equal(pickVariant(variants, 0.999999999).name, 'c');
});

test('canary at weight 0 never reaches the candidate, whatever the rng returns (even 0)', () => {
  const policy: Policy = { kind: 'canary', stable: '1', candidate: '2', weight: 0 };
  assert.equal(route(policy, { endpoint: 'm', requestId: 'x' }, () => 0).primary.version, '1');
  const full: Policy = { kind: 'canary', stable: '1', candidate: '2', weight: 100 };
  assert.equal(route(full, { endpoint: 'm', requestId: 'x' }, () => 0.9999999).primary.version, '2');
});

test('parsePolicy refuses what route() could not honour', () => {
  const bad: unknown[] = [
    { kind: 'canary', stable: '1', candidate: '1', weight: 5 },
    { kind: 'canary', stable: '1', candidate: '2', weight: 101 },
    { kind: 'shadow', primary: '1', shadow: '2', sampleRate: 1.5 },
    { kind: 'blue-green', blue: '1', green: '1', active: 'blue' },
    { kind: 'ab', stickyHeader: 'x-user-id', variants: [{ name: 'a', version: '1', weight: 0 }, { name: 'b', version: '2', weight: 0 }] },
    { kind: 'ab', stickyHeader: 'x-user-id', variants: [{ name: 'a', version: '1', weight: 1 }, { name: 'a', version: '2', weight: 1 }] },
    { kind: 'ab', stickyHeader: 'bad header', variants: [{ name: 'a', version: '1', weight: 1 }, { name: 'b', version: '2', weight: 1 }] },
    { kind: 'single', version: '' },
    { kind: 'single', version: '1', extra: true },
    { kind: 'weighted' },
  ];
  for (const input of bad) assert.throws(() => parsePolicy(input), { code: 'MG_INVALID_REQUEST' }, JSON.stringify(input));
  const ab = parsePolicy({ kind: 'ab', stickyHeader: 'X-User-Id', variants: [{ name: 'a', version: '1', weight: 1 }, { name: 'b', version: '2', weight: 1 }] });
  assert.equal(ab.kind === 'ab' && ab.stickyHeader, 'x-user-id');
});
