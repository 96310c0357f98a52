// Every transition under continuous load, on two replicas: each replica loads what its controller
// prepares and unloads what a change leaves behind (as the serving controller will), and no request is
// ever routed, on either replica, to a version that replica has not loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { versionsOf, type RolloutController, type RolloutControllerOptions } from '../../src/routing/index.ts';
import type { GetHarness } from './controller-contract.ts';
import { drive } from './harness.ts';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What the serving controller does with the hooks: load (taking a few turns of the event loop),
 * and after a change unload the versions the new policy no longer uses. */
function serving(model: string, initial: string[]): { loaded: Set<string>; hooks: Partial<RolloutControllerOptions> } {
  const loaded = new Set(initial);
  return {
    loaded,
    hooks: {
      prepare: async (name, versions) => {
        for (let i = 0; i < 3; i++) await turn();
        if (name === model) for (const v of versions) loaded.add(v);
      },
      // The database holds other tests' endpoints too: only this model's changes matter here.
      onChange: (change) => {
        if (change.endpoint !== model) return;
        const keep = new Set(versionsOf(change.after));
        void turn().then(() => {
          for (const v of [...loaded]) if (!keep.has(v)) loaded.delete(v);
        });
      },
    },
  };
}

export function transitionCases(get: GetHarness): void {
  test('zero misrouted requests across every transition, under continuous load on two replicas', async () => {
    const h = get();
    const name = await h.model();
    const a = serving(name, ['1']);
    const b = serving(name, ['1']);
    const first = await h.reopen(a.hooks);
    const second = await h.reopen(b.hooks);
    const replicas: [RolloutController, Set<string>][] = [[first.controller, a.loaded], [second.controller, b.loaded]];
    let stop = false;
    let routed = 0;
    const misrouted: string[] = [];
    const load = (async () => {
      let i = 0;
      while (!stop) {
        for (const [controller, loaded] of replicas) {
          for (let k = 0; k < 20; k++, i++) {
            const d = controller.route(name, { requestId: `load-${i}`, stickyKey: `u-${i % 500}` });
            // No endpoint row: the dataplane serves the production version, loaded from the start.
            for (const v of d ? [d.primary.version, ...(d.shadow ? [d.shadow.version] : [])] : ['1']) {
              if (!loaded.has(v)) misrouted.push(`${controller === first.controller ? 'A' : 'B'}: ${v} not loaded (${JSON.stringify(controller.policyOf(name))})`);
            }
            routed++;
          }
        }
        await turn();
      }
    })();
    const polling = (async () => {
      while (!stop) {
        await second.controller.refresh();
        await turn();
      }
    })();
    const settle = async () => {
      for (let i = 0; i < 20; i++) await turn();
    };
    const A = first.controller;
    try {
      await A.startCanary(name, { candidate: '2', config: { steps: [10, 50, 100], bakeMs: 0, minRequests: 50 } }, 'alice');
      for (let step = 0; step < 3; step++) {
        await settle();
        drive(A, name, 1_000, {}, 40 + step);
        const [r] = (await A.tick()).filter((x) => x.endpoint === name);
        assert.notEqual(r.decision, 'rollback', r.reason);
      }
      assert.deepEqual(A.policyOf(name), { kind: 'single', version: '2' });
      await settle();
      await A.updatePolicy(name, { kind: 'blue-green', blue: '2', green: '3', active: 'blue' }, 'alice');
      await settle();
      await A.switchBlueGreen(name, 'alice');
      await settle();
      await A.switchBlueGreen(name, 'alice');
      await settle();
      await A.updatePolicy(name, { kind: 'single', version: '2' }, 'alice');
      await settle();
      await A.startShadow(name, { shadow: '3', sampleRate: 0.5 }, 'alice');
      await settle();
      await A.stopShadow(name, 'alice');
      await settle();
      await A.startCanary(name, { candidate: '3', config: { steps: [50, 100], bakeMs: 60_000, minRequests: 50 } }, 'alice');
      await settle();
      drive(A, name, 1_000, { candidate: { errorRate: 0.5 } }, 50);
      assert.equal((await A.tick()).find((x) => x.endpoint === name)?.decision, 'rollback');
      await settle();
      await A.startExperiment(name, { variants: [{ name: 'x', version: '2', weight: 1 }, { name: 'y', version: '3', weight: 1 }] }, 'alice');
      await settle();
      await A.stopExperiment(name, 'alice', { winner: 'y' });
      await settle();
      // B sees A's last change on its next poll; a poll pass over a shared database can take longer
      // than a few turns of the loop, so wait for one that started after the change.
      await second.controller.refresh();
      await settle();
    } finally {
      stop = true;
      await Promise.all([load, polling]);
      await first.close();
      await second.close();
    }
    assert.deepEqual(misrouted.slice(0, 5), []);
    assert.ok(routed > 5_000, `only ${routed} requests routed`);
    assert.deepEqual(second.controller.policyOf(name), { kind: 'single', version: '3' });
    assert.deepEqual([...a.loaded], ['3']);
  });

  test('an overlapping slower refresh never puts an older policy back over a newer one', async () => {
    const h = get();
    const name = await h.model();
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let entered!: () => void;
    const waiting = new Promise<void>((resolve) => { entered = resolve; });
    let hold = false;
    const replica = await h.reopen({
      prepare: async (endpoint, versions) => {
        if (endpoint !== name || !hold || !versions.includes('2')) return;
        entered();
        await held;
      },
    });
    try {
      await h.controller.createEndpoint(name, { kind: 'single', version: '1' }, 'alice');
      await replica.controller.refresh();
      hold = true;
      await h.controller.updatePolicy(name, { kind: 'single', version: '2' }, 'alice');
      const slow = replica.controller.refresh(); // reads revision 2, then waits to load version 2
      await waiting;
      await h.controller.updatePolicy(name, { kind: 'single', version: '1' }, 'alice');
      hold = false;
      const quick = replica.controller.refresh(); // reads revision 3 (version 1 is loaded already)
      await quick;
      assert.deepEqual(replica.controller.policyOf(name), { kind: 'single', version: '1' });
      release();
      await slow;
      assert.deepEqual(replica.controller.policyOf(name), { kind: 'single', version: '1' });
    } finally {
      release();
      await replica.close();
    }
  });
}
