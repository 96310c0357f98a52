// What operators see and do about extraction verdicts across the cluster: the flagged pairs, as this
// process and the shared store hold them, and the lift (the only way out of critical). Also keeps
// this process in step with the store: escalations go up to it, lifts made elsewhere come down.
import { actionForLevel } from './ladder.ts';
import { levelRank, type Action, type ExtractionSettings, type Level } from './config.ts';
import { pairKey, type ExtractionDetector, type ExtractionEvent } from './detector.ts';
import type { SharedLevels } from './shared-levels.ts';

export interface FlaggedView {
  principal: string;
  model: string;
  /** What this replica enforces: the higher of the two below. */
  level: Level;
  action: Action;
  /** From this process's own signals (or remembered after eviction). */
  local: Level;
  /** Stored by a replica (this one included), after decay; 'none' without a shared store. */
  shared: Level;
  queries?: number;
  sharedSince?: string;
  sharedBy?: string;
  reason?: string | null;
}

export class ExtractionControl {
  constructor(
    private readonly detector: ExtractionDetector,
    private readonly settings: ExtractionSettings,
    private readonly shared?: SharedLevels,
  ) {}

  /** Every pair above none here or in the store, highest level first. */
  list(model?: string): FlaggedView[] {
    const views = new Map<string, FlaggedView>();
    const view = (principal: string, m: string): FlaggedView => {
      const key = pairKey(principal, m);
      let v = views.get(key);
      if (!v) views.set(key, (v = { principal, model: m, level: 'none', action: 'none', local: 'none', shared: 'none' }));
      return v;
    };
    for (const f of this.detector.flagged()) {
      const v = view(f.principal, f.model);
      v.local = f.level;
      if (f.queries !== undefined) v.queries = f.queries;
    }
    for (const s of this.shared?.entries() ?? []) {
      const v = view(s.principal, s.model);
      Object.assign(v, { shared: s.level, sharedSince: s.updatedAt, sharedBy: s.updatedBy, reason: s.reason });
    }
    const out = [...views.values()].filter((v) => model === undefined || v.model === model);
    for (const v of out) {
      v.level = levelRank(v.shared) > levelRank(v.local) ? v.shared : v.local;
      v.action = actionForLevel(v.level, this.settings);
    }
    return out.sort((a, b) => levelRank(b.level) - levelRank(a.level) || a.model.localeCompare(b.model) || a.principal.localeCompare(b.principal));
  }

  /**
   * Lifts the pair here and in the store. `known` is false when neither holds anything for it (then
   * nothing was changed); `before` is the level it stood at here.
   */
  async lift(principal: string, model: string, actor: string): Promise<{ known: boolean; before: Level }> {
    const here = this.detector.actionFor(principal, model).level;
    const stored = await this.shared?.lift(principal, model, actor);
    this.detector.reset(principal, model);
    return { known: here !== 'none' || stored?.known === true, before: here };
  }

  /** Stores a step up of this process's ladder, so every replica holds the principal there. */
  async escalated(e: ExtractionEvent): Promise<void> {
    if (e.direction !== 'up' || !this.shared) return;
    if (levelRank(this.shared.floor(e.principal, e.model)) > levelRank(e.level)) return; // stored higher already
    const outcome = await this.shared.raise(e.principal, e.model, e.level, `score ${e.score} after ${e.queries} queries`);
    // An operator lifted the pair after this state was formed: forget it, as the next poll would.
    if (outcome === 'lifted') this.detector.reset(e.principal, e.model);
  }

  /** Reads the store; pairs lifted through another replica are forgotten here too. */
  async sync(): Promise<void> {
    if (!this.shared) return;
    for (const p of await this.shared.refresh()) this.detector.reset(p.principal, p.model);
  }
}
