// The policy contract: every policy is run against the same generated traffic. Shares match the
// weights (chi-square at alpha 0.001 over 20,000 requests), sticky policies keep 5,000 keys on their
// variant, a seeded rng replays exactly, and route() only ever names versions the policy holds.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedShares, route, seededRng, stickyHeaderOf, versionsOf, type Policy } from '../../src/routing/index.ts';
import { assertShares, traffic } from './traffic.ts';

const REQUESTS = traffic(20_000);
const ENDPOINT = 'spam-filter';

/** Policies whose assignment must not depend on the rng when a sticky key is given. */
function claimsSticky(policy: Policy): boolean {
  return policy.kind === 'single' || policy.kind === 'blue-green' || stickyHeaderOf(policy) !== undefined;
}

export function policyContract(name: string, policy: Policy): void {
  describe(`policy contract: ${name}`, () => {
    test('primary shares match the weights (chi-square, alpha 0.001, 20,000 requests)', () => {
      const rng = seededRng(1);
      const counts = new Map<string, number>();
      for (const r of REQUESTS) {
        const arm = route(policy, { endpoint: ENDPOINT, ...r }, rng).primary.arm;
        counts.set(arm, (counts.get(arm) ?? 0) + 1);
      }
      assertShares(counts, expectedShares(policy));
    });

    test('requests without a key are shared by the weights too', () => {
      const rng = seededRng(2);
      const counts = new Map<string, number>();
      for (let i = 0; i < 20_000; i++) {
        const arm = route(policy, { endpoint: ENDPOINT, requestId: `anon-${i}` }, rng).primary.arm;
        counts.set(arm, (counts.get(arm) ?? 0) + 1);
      }
      assertShares(counts, expectedShares(policy));
    });

    test('the mirrored share matches the sample rate, and only shadow policies mirror', () => {
      const rng = seededRng(3);
      let mirrored = 0;
      for (const r of REQUESTS) {
        const d = route(policy, { endpoint: ENDPOINT, ...r }, rng);
        if (d.shadow) {
          mirrored++;
          assert.equal(d.shadow.arm, 'shadow');
          assert.notEqual(d.shadow.version, d.primary.version);
        }
      }
      const rate = policy.kind === 'shadow' ? policy.sampleRate : 0;
      const counts = new Map([['shadow', mirrored], ['direct', REQUESTS.length - mirrored]].filter(([, c]) => (c as number) > 0) as [string, number][]);
      assertShares(counts, { shadow: rate, direct: 1 - rate });
    });

    test('sticky: 5,000 keys keep their arm whatever the rng says', () => {
      const first = new Map<string, string>();
      const rngA = seededRng(11);
      const rngB = seededRng(12);
      for (let i = 0; i < 5_000; i++) first.set(`key-${i}`, route(policy, { endpoint: ENDPOINT, requestId: `a${i}`, stickyKey: `key-${i}` }, rngA).primary.arm);
      let moved = 0;
      for (let pass = 0; pass < 2; pass++) {
        for (let i = 0; i < 5_000; i++) {
          const arm = route(policy, { endpoint: ENDPOINT, requestId: `b${pass}-${i}`, stickyKey: `key-${i}` }, rngB).primary.arm;
          if (arm !== first.get(`key-${i}`)) moved++;
        }
      }
      if (claimsSticky(policy)) assert.equal(moved, 0, `${moved} of 10,000 repeat requests changed arm`);
      else assert.ok(moved > 0 || Object.values(expectedShares(policy)).some((s) => s === 1), 'a non-sticky split with two live arms must not look sticky');
    });

    test('a seeded rng replays the same decisions; another seed changes the random ones', () => {
      const replay = (seed: number) => {
        const rng = seededRng(seed);
        return REQUESTS.slice(0, 2_000).map((r) => JSON.stringify(route(policy, { endpoint: ENDPOINT, requestId: r.requestId }, rng)));
      };
      assert.deepEqual(replay(5), replay(5));
      const random = Object.values(expectedShares(policy)).every((s) => s < 1) || (policy.kind === 'shadow' && policy.sampleRate > 0 && policy.sampleRate < 1);
      if (random) assert.notDeepEqual(replay(5), replay(6));
      else assert.deepEqual(replay(5), replay(6));
    });

    test('route() only names versions the policy holds, and every arm maps to one version', () => {
      const rng = seededRng(4);
      const versions = new Set(versionsOf(policy));
      const armVersion = new Map<string, string>();
      for (const r of REQUESTS) {
        const d = route(policy, { endpoint: ENDPOINT, ...r }, rng);
        assert.ok(versions.has(d.primary.version));
        if (d.shadow) assert.ok(versions.has(d.shadow.version));
        const known = armVersion.get(d.primary.arm);
        if (known !== undefined) assert.equal(d.primary.version, known);
        armVersion.set(d.primary.arm, d.primary.version);
      }
    });
  });
}
