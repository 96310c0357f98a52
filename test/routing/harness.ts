// A rollout controller over a store target, with the real version registry (signed packages) as its
// promote callback, a hand-driven clock, a seeded rng, and traffic generators that route through the
// controller and feed back outcomes per arm as a good or a bad candidate would produce them.
import { RolloutController, seededRng, type Arm, type EndpointChange, type RolloutControllerOptions } from '../../src/routing/index.ts';
import type { Store } from '../../src/store/index.ts';
import { freshModel, openHarness, registerAll, type Harness as RegistryHarness } from '../registry/versions/fixtures.ts';
import type { StoreTarget } from '../store/targets.ts';

export interface Clock {
  now: () => Date;
  advance(ms: number): void;
}

export function fakeClock(start = Date.parse('2026-03-01T12:00:00Z')): Clock {
  let t = start;
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

export interface Harness {
  registry: RegistryHarness;
  store: Store;
  clock: Clock;
  controller: RolloutController;
  changes: EndpointChange[];
  /** Every prepare() call, in order, as `model: v1,v2`. */
  prepared: string[];
  /** A second controller over its own connection to the same database: a restart, or a replica. */
  reopen(extra?: Partial<RolloutControllerOptions>): Promise<{ controller: RolloutController; close(): Promise<void> }>;
  options(extra?: Partial<RolloutControllerOptions>): RolloutControllerOptions;
  /** A fresh model with versions 1, 2 and 3 registered and version 1 in production. */
  model(prefix?: string): Promise<string>;
  close(): Promise<void>;
}

export async function openRouting(target: StoreTarget): Promise<Harness> {
  const registry = await openHarness(target);
  const clock = fakeClock();
  const changes: EndpointChange[] = [];
  const prepared: string[] = [];
  const options = (extra: Partial<RolloutControllerOptions> = {}, store: Store = registry.store): RolloutControllerOptions => ({
    store,
    promote: (model, version, actor, reason) => registry.registry.promote(model, version, actor, reason),
    productionVersion: async (model) => (await registry.registry.getModel(model).catch(() => undefined))?.productionVersion ?? null,
    prepare: async (model, versions) => {
      // Loading means: the version exists in the registry (the integrator loads it into the runtime).
      for (const v of versions) await registry.registry.getVersion(model, v);
      prepared.push(`${model}: ${versions.join(',')}`);
    },
    onChange: (change) => changes.push(change),
    now: clock.now,
    rng: seededRng(42),
    ...extra,
  });
  const controller = await RolloutController.open(options());
  return {
    registry, store: registry.store, clock, controller, changes, prepared,
    options: (extra) => options(extra),
    async reopen(extra) {
      const store = await target.open();
      const other = await RolloutController.open(options(extra, store));
      return { controller: other, close: () => store.close() };
    },
    async model(prefix = 'spam') {
      const name = freshModel(prefix);
      await registerAll(registry, name, ['1', '2', '3']);
      await registry.registry.promote(name, '1', 'alice', 'first release');
      return name;
    },
    close: () => registry.close(),
  };
}

export interface ArmBehaviour {
  /** Share of requests that fail. */
  errorRate?: number;
  /** Share of answers labelled 'spam' (the rest 'ham'). */
  spamRate?: number;
  /** Latency in ms of a typical answer; each answer draws up to twice that. */
  latencyMs?: number;
}

const DEFAULT: Required<ArmBehaviour> = { errorRate: 0, spamRate: 0.3, latencyMs: 10 };

/** Sends n requests through controller.route() and observes each answer as its arm behaves. Returns
 * how many requests each arm answered. */
export function drive(controller: RolloutController, endpoint: string, n: number, behaviour: Partial<Record<string, ArmBehaviour>> = {}, seed = 1): Map<string, number> {
  const rng = seededRng(seed);
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const requestId = `req-${seed}-${i}`;
    const decision = controller.route(endpoint, { requestId, stickyKey: `user-${i}` });
    if (!decision) throw new Error(`endpoint ${endpoint} has no row`);
    const answer = (arm: Arm) => {
      const b = { ...DEFAULT, ...behaviour[arm] };
      const ok = rng() >= b.errorRate;
      return { ok, latencyMs: b.latencyMs * (0.5 + rng()), ...(ok ? { label: rng() < b.spamRate ? 'spam' : 'ham' } : {}) };
    };
    const primary = answer(decision.primary.arm);
    controller.observe(endpoint, decision.primary.arm, decision.shadow ? { ...primary, requestId } : primary);
    if (decision.shadow) controller.observe(endpoint, 'shadow', { ...answer('shadow'), shadowOf: requestId });
    counts.set(decision.primary.arm, (counts.get(decision.primary.arm) ?? 0) + 1);
  }
  return counts;
}

/** How many of n routed requests went to the given version. */
export function requestsTo(controller: RolloutController, endpoint: string, version: string, n: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const d = controller.route(endpoint, { requestId: `probe-${i}`, stickyKey: `u-${i}` });
    if (d?.primary.version === version || d?.shadow?.version === version) hits++;
  }
  return hits;
}
