// RolloutController: the long-lived routing service. It keeps every endpoint's policy in memory for
// route() on the hot path, takes outcome statistics and A/B feedback from the dataplane, makes the
// operators' changes, and judges canaries on tick(). All state that matters is in the store, so a
// new controller over the same store (a restart, another replica) carries on where it was.
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/index.ts';
import type { SignalsHook } from './analysis.ts';
import { abort, pause, resume, startCanary, tick, type StartCanaryInput, type TickResult } from './canary.ts';
import { reloadEndpoint, type CachedEndpoint, type Core, type PromoteFn } from './core.ts';
import { ExperimentFeedback, type ExperimentFeedbackOptions, type ExperimentReport, type FeedbackOutcome } from './experiment.ts';
import { createEndpoint, startExperiment, startShadow, stopRollout, switchBlueGreen, updatePolicy } from './operations.ts';
import type { EndpointChange, EndpointStatus, ExperimentSettings, Rollout, RolloutEvent } from './records.ts';
import { route, versionsOf } from './route.ts';
import { latestRollout, liveRollout, notFound, toEndpoint, toEvent, toRollout } from './rows.ts';
import { publishLive, stepStats } from './shared-stats.ts';
import { OutcomeStats, summarize, type Outcome, type OutcomeStatsOptions } from './stats.ts';
import type { AbVariant, Arm, Policy, RouteDecision, Rng } from './types.ts';

export interface RolloutControllerOptions {
  store: Store;
  /** The registry's promote, called when a canary passes its last step. */
  promote: PromoteFn;
  /** The model's production version: what an endpoint without a row serves ('single'). */
  productionVersion?: (model: string) => Promise<string | null>;
  /** Loads versions and resolves when they are ready; called before any change that can route to
   * them (load first, then switch). Throwing (unknown version, load failure) cancels the change. */
  prepare?: (model: string, versions: string[]) => Promise<void>;
  /** After every committed change of a policy: reconcile loaded versions with referencedVersions(). */
  onChange?: (change: EndpointChange) => void;
  /** External verdicts on the candidate (drift, security); true fails the canary analysis. */
  signals?: SignalsHook;
  now?: () => Date;
  rng?: Rng;
  stats?: OutcomeStatsOptions;
  feedback?: Omit<ExperimentFeedbackOptions, 'now'>;
}

export class RolloutController {
  private readonly core: Core;

  private constructor(core: Core) {
    this.core = core;
  }

  /** Builds the controller and loads every endpoint. */
  static async open(options: RolloutControllerOptions): Promise<RolloutController> {
    const now = options.now ?? (() => new Date());
    const controller = new RolloutController({
      store: options.store, now, rng: options.rng ?? Math.random,
      stats: new OutcomeStats(options.stats), feedback: new ExperimentFeedback({ ...options.feedback, now: () => now().getTime() }),
      promote: options.promote, productionVersion: options.productionVersion, prepare: options.prepare,
      signals: options.signals, onChange: options.onChange, cache: new Map(), counting: new Map(),
      replica: randomBytes(8).toString('hex'),
    });
    await controller.refresh();
    return controller;
  }

  /** Re-reads every endpoint: changes made by other replicas become visible here (call it every
   * second or two on each replica); and publishes this replica's counts of live canary steps. An endpoint whose new versions fail to prepare keeps its old
   * policy; the first such error is thrown after every other endpoint was refreshed. */
  async refresh(): Promise<void> {
    const names = await this.core.store.db.selectFrom('endpoints').select('name').execute();
    const known = new Set(names.map((n) => n.name));
    for (const name of this.core.cache.keys()) if (!known.has(name)) this.core.cache.delete(name);
    let failure: unknown;
    for (const { name } of names) {
      await reloadEndpoint(this.core, name).catch((err: unknown) => {
        failure ??= err;
      });
    }
    // After the endpoints: a failure to publish must not hide an endpoint's refresh error, nor skip it.
    await publishLive(this.core).catch((err: unknown) => {
      failure ??= err;
    });
    if (failure !== undefined) throw failure;
  }

  // ---- hot path (synchronous, in memory) ----

  /** The endpoint's policy, or undefined when the model has no endpoint (serve production). */
  policyOf(endpoint: string): Policy | undefined {
    return this.core.cache.get(endpoint)?.record.policy;
  }

  /** Which version answers (and which mirrors) this request; undefined without an endpoint row. */
  route(endpoint: string, request: { requestId: string; stickyKey?: string }): RouteDecision | undefined {
    const cached = this.core.cache.get(endpoint);
    return cached ? route(cached.record.policy, { endpoint, ...request }, this.core.rng) : undefined;
  }

  /** One answer's outcome, from the arm route() chose. */
  observe(endpoint: string, arm: Arm, outcome: Outcome): void {
    this.core.stats.observe(endpoint, arm, outcome);
  }

  recordPrediction(endpoint: string, requestId: string, arm: string, label: string): void {
    this.core.feedback.recordPrediction(endpoint, requestId, arm, label);
  }

  feedback(endpoint: string, requestId: string, trueLabel: string): FeedbackOutcome {
    return this.core.feedback.feedback(endpoint, requestId, trueLabel);
  }

  // ---- operations ----

  createEndpoint(name: string, policy: unknown, actor: string, reason?: string): Promise<void> {
    return createEndpoint(this.core, name, policy, actor, reason);
  }

  updatePolicy(name: string, policy: unknown, actor: string, reason?: string): Promise<void> {
    return updatePolicy(this.core, name, policy, actor, reason);
  }

  startCanary(name: string, input: StartCanaryInput, actor: string, reason?: string): Promise<number> {
    return startCanary(this.core, name, input, actor, reason);
  }

  pause(name: string, actor: string, reason?: string): Promise<void> {
    return pause(this.core, name, actor, reason);
  }

  resume(name: string, actor: string, reason?: string): Promise<void> {
    return resume(this.core, name, actor, reason);
  }

  abort(name: string, actor: string, reason?: string): Promise<Policy> {
    return abort(this.core, name, actor, reason);
  }

  switchBlueGreen(name: string, actor: string, reason?: string, to?: 'blue' | 'green'): Promise<Policy> {
    return switchBlueGreen(this.core, name, actor, reason, to);
  }

  startShadow(name: string, input: { shadow: string; sampleRate?: number }, actor: string, reason?: string): Promise<number> {
    return startShadow(this.core, name, input, actor, reason);
  }

  stopShadow(name: string, actor: string, reason?: string): Promise<Policy> {
    return stopRollout(this.core, name, 'shadow', actor, reason);
  }

  startExperiment(name: string, input: { variants: AbVariant[]; stickyHeader?: string; positiveLabel?: string }, actor: string, reason?: string): Promise<number> {
    return startExperiment(this.core, name, input, actor, reason);
  }

  /** Ends the experiment: back to the policy from before it, or everything to the winner's version. */
  stopExperiment(name: string, actor: string, options: { winner?: string; reason?: string } = {}): Promise<Policy> {
    return stopRollout(this.core, name, 'experiment', actor, options.reason, options.winner);
  }

  /** Judges every live canary; see canary.ts. */
  tick(now?: Date): Promise<TickResult[]> {
    return tick(this.core, now);
  }

  // ---- reads ----

  async status(name: string): Promise<EndpointStatus> {
    await reloadEndpoint(this.core, name);
    const cached = this.core.cache.get(name);
    if (!cached) throw notFound(name);
    const rollout = cached.live ?? (await this.lastRollout(name));
    // A canary's step is shown as it is judged: summed over every replica.
    const liveRow = cached.live?.kind === 'canary' ? await liveRollout(this.core.store.db, name) : undefined;
    const stats = liveRow ? summarize(await stepStats(this.core.store.db, this.core, liveRow)) : this.core.stats.summary(name);
    const out: EndpointStatus = {
      endpoint: name, policy: cached.record.policy, revision: cached.record.revision,
      updatedAt: cached.record.updatedAt, updatedBy: cached.record.updatedBy, rollout, stats,
    };
    if (cached.record.policy.kind === 'canary') out.candidateWeight = cached.record.policy.weight;
    if (cached.live?.kind === 'experiment') out.experiment = this.report(name, cached);
    return out;
  }

  async listEndpoints(): Promise<{ endpoint: string; policy: Policy; revision: number }[]> {
    const rows = await this.core.store.db.selectFrom('endpoints').selectAll().orderBy('name').execute();
    return rows.map(toEndpoint).map((e) => ({ endpoint: e.name, policy: e.policy, revision: e.revision }));
  }

  /** Every change and decision on the endpoint, newest first; page with beforeId. */
  async history(name: string, options: { limit?: number; beforeId?: number } = {}): Promise<RolloutEvent[]> {
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
    const rows = await this.core.store.db
      .selectFrom('rollout_events').selectAll().where('endpoint', '=', name)
      .$if(options.beforeId !== undefined, (q) => q.where('id', '<', options.beforeId!))
      .orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toEvent);
  }

  /** The endpoint's rollouts, newest first. */
  async rollouts(name: string): Promise<Rollout[]> {
    const rows = await this.core.store.db.selectFrom('rollouts').selectAll().where('endpoint', '=', name).orderBy('id', 'desc').execute();
    return rows.map(toRollout);
  }

  /** Versions some endpoint can route to (primary or shadow): the serving controller keeps these
   * loaded, besides each model's production version. Read from the store, so it holds for all replicas. */
  async referencedVersions(): Promise<{ model: string; version: string }[]> {
    const rows = await this.core.store.db.selectFrom('endpoints').selectAll().orderBy('name').execute();
    return rows.flatMap((row) => versionsOf(toEndpoint(row).policy).map((version) => ({ model: row.name, version })));
  }

  /** The running experiment's per-variant report on this replica. */
  experimentReport(name: string): ExperimentReport {
    const cached = this.core.cache.get(name);
    if (!cached) throw notFound(name);
    return this.report(name, cached);
  }

  private report(name: string, cached: CachedEndpoint): ExperimentReport {
    const settings = cached.live?.kind === 'experiment' ? (cached.live.settings as ExperimentSettings) : undefined;
    const variants = settings?.variants ?? (cached.record.policy.kind === 'ab' ? cached.record.policy.variants : []);
    if (variants.length === 0) return { positiveLabel: null, variants: [], comparisons: [] };
    return this.core.feedback.report(name, variants, this.core.stats.summary(name), settings?.positiveLabel);
  }

  private async lastRollout(name: string): Promise<Rollout | null> {
    const row = await latestRollout(this.core.store.db, name);
    return row ? toRollout(row) : null;
  }
}
