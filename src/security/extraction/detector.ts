// The extraction detector: long-lived state per principal and model (LRU-bounded), fed after each
// answered request, asked before each request what to do. It decides; the dataplane enforces, audits
// and counts (it gets every level change through onEscalation and through observe's `changed`).
import { ModelGateError } from '../../errors.ts';
import type { Tensor } from '../../protocol/index.ts';
import { stricterPolicy, type OutputPolicy } from '../output-policy.ts';
import { actionRank, levelRank, type Action, type ExtractionSettings, type Level } from './config.ts';
import { actionForLevel, advance, initialLadder, type LadderState } from './ladder.ts';
import type { ModelProfile } from './profile.ts';
import type { FeatureOptions, SparseVector } from './features.ts';
import { probabilityRows, rowVectors, type ProbabilityRows } from './queries.ts';
import { scoreOf, SignalState, type Signals } from './signals.ts';
import { LruMap } from './windows.ts';

export interface ExtractionObservation {
  principal: string;
  model: string;
  /** The request's inputs as validated (after normalisation), one query per row. */
  inputs: readonly Tensor[];
  /** The model's class probabilities for those rows, before any output policy. */
  probabilities: ProbabilityRows;
  /** The rows' vectors when the caller computed them already (textFeatures of rowTexts(inputs) with
   * `featureOptions`, e.g. off the event loop); otherwise they are computed from the inputs here. */
  vectors?: readonly SparseVector[];
}

export interface ExtractionVerdict {
  level: Level;
  action: Action;
}

export interface ExtractionResult extends ExtractionVerdict {
  signals: Signals;
  /** Sum of the weights of the tripped signals. */
  score: number;
  /** Rows seen from this principal on this model since it was (re)tracked. */
  queries: number;
  /** The level moved: emit an audit event and a metric. */
  changed: boolean;
}

export interface ExtractionEvent extends ExtractionResult {
  principal: string;
  model: string;
  from: Level;
  previousAction: Action;
  direction: 'up' | 'down';
  at: number;
}

export interface ExtractionDetectorOptions {
  /** Milliseconds since the epoch; injected so tests never sleep. */
  clock?: () => number;
  onEscalation?: (event: ExtractionEvent) => void;
  profiles?: Record<string, ModelProfile>;
  /** A level the pair is held at whatever this process saw (the levels other replicas stored, see
   * SharedLevels): verdicts take the higher of it and the local level. Called on every request. */
  floor?: (principal: string, model: string) => Level;
}

/** A pair at a level above none, for operators. */
export interface FlaggedPair {
  principal: string;
  model: string;
  level: Level;
  /** Rows seen from it since it was (re)tracked here; absent when only its level is remembered. */
  queries?: number;
}

interface Tracked {
  signals: SignalState;
  ladder: LadderState;
  queries: number;
}

const NONE: ExtractionVerdict = Object.freeze({ level: 'none', action: 'none' });
/** The one key of a principal x model pair, wherever pairs are kept (here, SharedLevels, listings). */
export const pairKey = (principal: string, model: string): string => JSON.stringify([principal, model]);
const keyOf = pairKey;

export class ExtractionDetector {
  private readonly states: LruMap<string, Tracked>;
  // Levels of evicted pairs, so that flooding the LRU with fresh principals cannot erase a block.
  private readonly remembered: LruMap<string, Level>;
  private readonly listeners = new Set<(e: ExtractionEvent) => void>();
  private readonly profiles = new Map<string, ModelProfile>();
  // Rows let through this minute per throttled pair, kept apart from the tracked state: a pair can be
  // throttled by a remembered or a shared level without being tracked here.
  private readonly throttles: LruMap<string, { minute: number; count: number }>;
  private readonly clock: () => number;
  private readonly floor: ((principal: string, model: string) => Level) | undefined;

  constructor(private readonly settings: ExtractionSettings, options: ExtractionDetectorOptions = {}) {
    this.states = new LruMap(settings.maxTracked);
    this.remembered = new LruMap(settings.maxTracked * 10);
    this.throttles = new LruMap(settings.maxTracked);
    this.clock = options.clock ?? Date.now;
    this.floor = options.floor;
    if (options.onEscalation) this.listeners.add(options.onEscalation);
    for (const [model, p] of Object.entries(options.profiles ?? {})) this.profiles.set(model, p);
  }

  /** How text rows become vectors: what a caller computing `vectors` itself must use. */
  get featureOptions(): FeatureOptions {
    return this.settings.features;
  }

  /** Registers a listener for every level change; returns the function that removes it. */
  onEscalation(listener: (e: ExtractionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sets what benign traffic of a model looks like; applies to principals tracked from now on. */
  setProfile(model: string, profile: ModelProfile): void {
    this.profiles.set(model, profile);
  }

  /** Feeds one answered request; returns the verdict for the principal's next request. */
  observe(o: ExtractionObservation): ExtractionResult {
    const now = this.clock();
    const key = keyOf(o.principal, o.model);
    const t = this.states.get(key) ?? this.track(key, o.model, now);
    const profile = this.profiles.get(o.model);
    const vectors = o.vectors ?? rowVectors(o.inputs, this.settings.features, profile?.numericScale);
    const probs = probabilityRows(o.probabilities);
    const rows = Math.min(vectors.length, probs.length);
    for (let i = 0; i < rows; i++) t.signals.observe(vectors[i], probs[i], now);
    t.queries += rows;
    const signals = t.signals.read(now);
    const score = scoreOf(signals, this.settings);
    const from = t.ladder.level;
    const level = advance(t.ladder, score, rows, now, this.settings);
    const result: ExtractionResult = {
      level, action: actionForLevel(level, this.settings), signals, score, queries: t.queries, changed: level !== from,
    };
    if (result.changed) {
      const event: ExtractionEvent = {
        ...result, principal: o.principal, model: o.model, from, previousAction: actionForLevel(from, this.settings),
        direction: levelRank(level) > levelRank(from) ? 'up' : 'down', at: now,
      };
      for (const l of this.listeners) l(event);
    }
    return result;
  }

  /** The current verdict, without touching any state: cheap enough for every request. */
  actionFor(principal: string, model: string): ExtractionVerdict {
    const key = keyOf(principal, model);
    let level = this.states.peek(key)?.ladder.level ?? this.remembered.peek(key) ?? 'none';
    const floor = this.floor?.(principal, model);
    if (floor !== undefined && levelRank(floor) > levelRank(level)) level = floor;
    return level === 'none' ? NONE : { level, action: actionForLevel(level, this.settings) };
  }

  /**
   * Enforces block and throttle before inference: MG_FORBIDDEN for a blocked principal, MG_RATE_LIMITED
   * once a throttled one has used its rows for this minute. Other actions pass.
   */
  gate(principal: string, model: string, rows = 1): ExtractionVerdict {
    const verdict = this.actionFor(principal, model);
    if (verdict.action === 'block') {
      throw new ModelGateError('MG_FORBIDDEN', `access to model '${model}' is suspended for this principal`);
    }
    if (verdict.action === 'throttle') {
      const key = keyOf(principal, model);
      const now = this.clock();
      const minute = Math.floor(now / 60_000);
      let t = this.throttles.peek(key);
      if (t?.minute !== minute) this.throttles.set(key, (t = { minute, count: 0 }));
      if (t.count + rows > this.settings.throttlePerMinute) {
        throw new ModelGateError('MG_RATE_LIMITED', `too many requests to model '${model}'`, {
          retryAfterSeconds: Math.max(1, Math.ceil(((minute + 1) * 60_000 - now) / 1000)),
        });
      }
      t.count += rows;
    }
    return verdict;
  }

  /** The model's output policy, tightened to the degrade policy when the principal's action is degrade or stronger. */
  outputPolicyFor(principal: string, model: string, modelPolicy: OutputPolicy): OutputPolicy {
    const { action } = this.actionFor(principal, model);
    return actionRank(action) >= actionRank('degrade') ? stricterPolicy(modelPolicy, this.settings.degrade) : modelPolicy;
  }

  /** Forgets a pair entirely (an operator's decision, e.g. lifting a block); true if anything was known. */
  reset(principal: string, model: string): boolean {
    const key = keyOf(principal, model);
    const a = this.states.delete(key);
    const b = this.remembered.delete(key);
    this.throttles.delete(key);
    return a || b;
  }

  /** Pairs this process holds above none (tracked or remembered), without the shared floor. */
  flagged(): FlaggedPair[] {
    const out: FlaggedPair[] = [];
    const pair = (key: string) => {
      const [principal, model] = JSON.parse(key) as [string, string];
      return { principal, model };
    };
    for (const [key, t] of this.states.entries()) if (t.ladder.level !== 'none') out.push({ ...pair(key), level: t.ladder.level, queries: t.queries });
    for (const [key, level] of this.remembered.entries()) if (level !== 'none') out.push({ ...pair(key), level });
    return out;
  }

  /** Pairs with live state (at most settings.maxTracked). */
  get tracked(): number {
    return this.states.size;
  }

  private track(key: string, model: string, now: number): Tracked {
    const floor = this.settings.lowMargin.benignShare;
    const share = Math.max(floor, this.profiles.get(model)?.benignLowMarginShare ?? floor);
    const ladder = initialLadder(now);
    const old = this.remembered.peek(key);
    if (old) {
      ladder.level = old;
      this.remembered.delete(key);
    }
    const t: Tracked = { signals: new SignalState(this.settings, share), ladder, queries: 0 };
    const evicted = this.states.set(key, t);
    if (evicted && evicted[1].ladder.level !== 'none') this.remembered.set(evicted[0], evicted[1].ladder.level);
    return t;
  }
}
