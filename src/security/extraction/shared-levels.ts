// Extraction levels in the store: a floor under every replica's verdicts, kept across restarts.
// Semantics (decay from the raise, lifts as tombstones, pruning) are in docs/extraction.md.
import { lockRows, isUniqueViolation, type Store, type StoreTransaction } from '../../store/index.ts';
import { LEVELS, levelRank, type Level } from './config.ts';
import { pairKey } from './detector.ts';

export interface StoredLevel {
  principal: string;
  model: string;
  /** The level as raised, before decay. */
  raised: Level;
  /** The level it stands at now (decayed). */
  level: Level;
  updatedAt: string;
  updatedBy: string;
  reason: string | null;
  liftedAt: string | null;
}

export interface SharedLevelsOptions {
  /** How long a stored level holds before it falls one step (the ladder's cooldownMs). */
  cooldownMs: number;
  /** Who writes: names this replica in updated_by. */
  replica: string;
  clock?: () => number;
  /** Lift tombstones and levels decayed to none are deleted this long after their last change
   * (default a day: far longer than any replica takes to read them). */
  pruneAfterMs?: number;
}

/** A pair an operator lifted on another replica since the last refresh. */
export interface Lifted {
  principal: string;
  model: string;
}

/** What raise did: stored, nothing to store (the stored level stands higher), or refused because an
 * operator lifted the pair after this replica's state was formed (the caller forgets that state). */
export type RaiseOutcome = 'stored' | 'kept' | 'lifted';

export interface LiftOutcome {
  /** A row existed (decayed or not): the lift was written and reaches every replica. */
  known: boolean;
  /** The level the pair stood at, after decay. */
  before: Level;
}

interface Entry {
  row: StoredLevel;
  /** row.updatedAt parsed once: floor() runs on every request. */
  raisedAt: number;
}

type Maps = { byModel: Map<string, Map<string, Entry>>; lifts: Map<string, string> };

export class SharedLevels {
  private maps: Maps = { byModel: new Map(), lifts: new Map() };
  private loaded = false;
  /** Local changes made while a refresh reads: re-applied over its snapshot, which may predate them. */
  private replay: ((m: Maps) => void)[] | undefined;
  /** Raises the store refused (unreachable): retried on the next refresh, the highest per pair. */
  private readonly unsaved = new Map<string, { principal: string; model: string; level: Level; reason: string }>();
  private refreshing: Promise<Lifted[]> | undefined;
  private readonly clock: () => number;

  constructor(private readonly store: Store, private readonly options: SharedLevelsOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** The stored level of the pair as it stands now; 'none' when nothing is stored. Memory only. */
  floor(principal: string, model: string): Level {
    const e = this.maps.byModel.get(model)?.get(principal);
    return e ? this.decayed(e.row.raised, e.raisedAt) : 'none';
  }

  /** Every stored pair whose level stands above none now. */
  entries(): StoredLevel[] {
    const out: StoredLevel[] = [];
    for (const byPrincipal of this.maps.byModel.values()) {
      for (const e of byPrincipal.values()) {
        const level = this.decayed(e.row.raised, e.raisedAt);
        if (level !== 'none') out.push({ ...e.row, level });
      }
    }
    return out;
  }

  /**
   * Retries unsaved raises, reads every stored level and prunes the dead rows. Returns the pairs lifted
   * through another replica since the previous call (none on the first: a starting replica has no
   * state of its own to forget). One refresh at a time: a call during one shares it.
   */
  refresh(): Promise<Lifted[]> {
    this.refreshing ??= this.read().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async read(): Promise<Lifted[]> {
    const lifted: Lifted[] = [];
    for (const [key, u] of [...this.unsaved]) {
      this.unsaved.delete(key);
      // Puts it back if the store still fails; a pair lifted meanwhile is reported like any lift.
      if ((await this.raise(u.principal, u.model, u.level, u.reason)) === 'lifted') lifted.push({ principal: u.principal, model: u.model });
    }
    this.replay = [];
    let rows;
    try {
      rows = await this.store.db.selectFrom('extraction_levels').selectAll().execute();
    } catch (err) {
      this.replay = undefined;
      throw err;
    }
    const next: Maps = { byModel: new Map(), lifts: new Map() };
    const dead: { principal: string; model: string; updatedAt: string }[] = [];
    for (const r of rows) {
      const raised = asLevel(r.level);
      const raisedAt = timeOf(r.updated_at);
      const row: StoredLevel = {
        principal: r.principal, model: r.model, raised, level: raised, updatedAt: r.updated_at, updatedBy: r.updated_by, reason: r.reason, liftedAt: r.lifted_at,
      };
      setEntry(next, r.model, r.principal, { row, raisedAt });
      if (r.lifted_at) {
        const key = pairKey(r.principal, r.model);
        next.lifts.set(key, r.lifted_at);
        if (this.loaded && r.lifted_at !== this.maps.lifts.get(key)) lifted.push({ principal: r.principal, model: r.model });
      }
      if (this.decayed(raised, raisedAt) === 'none' && this.clock() - raisedAt > (this.options.pruneAfterMs ?? 86_400_000)) {
        dead.push({ principal: r.principal, model: r.model, updatedAt: r.updated_at });
      }
    }
    for (const apply of this.replay) apply(next);
    this.replay = undefined;
    this.maps = next;
    this.loaded = true;
    await this.prune(dead);
    return lifted;
  }

  /**
   * Stores `level` for the pair unless the stored level stands higher now (an equal one is renewed:
   * fresh evidence restarts its decay). Called when this replica's ladder steps up. A pair lifted
   * through another replica since this one last read is left alone: this replica's state predates
   * the lift, and the caller must forget it.
   */
  async raise(principal: string, model: string, level: Level, reason: string): Promise<RaiseOutcome> {
    if (level === 'none') return 'kept';
    const key = pairKey(principal, model);
    const knownLift = this.maps.lifts.get(key);
    const write = () =>
      this.store.transaction(async (trx): Promise<RaiseOutcome | { liftedAt: string }> => {
        const row = await this.locked(trx, principal, model);
        if (row?.lifted_at && row.lifted_at !== knownLift) return { liftedAt: row.lifted_at };
        if (row && levelRank(this.decayed(asLevel(row.level), timeOf(row.updated_at))) > levelRank(level)) return 'kept';
        const values = { level, updated_at: new Date(this.clock()).toISOString(), updated_by: this.options.replica, reason };
        if (row) await trx.updateTable('extraction_levels').set(values).where('model', '=', model).where('principal', '=', principal).execute();
        else await trx.insertInto('extraction_levels').values({ model, principal, lifted_at: null, ...values }).execute();
        return 'stored';
      });
    let outcome;
    try {
      outcome = await write().catch((err: unknown) => {
        // Two replicas inserting the same new pair at once: the loser finds the row and decides again.
        if (isUniqueViolation(err)) return write();
        throw err;
      });
    } catch (err) {
      const old = this.unsaved.get(key);
      if (!old || levelRank(level) > levelRank(old.level)) this.unsaved.set(key, { principal, model, level, reason });
      throw err;
    }
    if (typeof outcome === 'object') {
      const liftedAt = outcome.liftedAt;
      this.local((m) => {
        m.lifts.set(key, liftedAt);
        m.byModel.get(model)?.delete(principal);
      });
      return 'lifted';
    }
    if (outcome === 'stored') this.remember(principal, model, level, reason);
    return outcome;
  }

  /** An operator lifts the pair everywhere. Nothing is written when nothing is stored, or only a
   * lift is (a level decayed to none is still lifted: replicas may hold it on their own). */
  async lift(principal: string, model: string, actor: string): Promise<LiftOutcome> {
    const now = new Date(this.clock()).toISOString();
    const outcome = await this.store.transaction(async (trx): Promise<LiftOutcome> => {
      const row = await this.locked(trx, principal, model);
      if (!row || asLevel(row.level) === 'none') return { known: false, before: 'none' };
      await trx
        .updateTable('extraction_levels')
        .set({ level: 'none', updated_at: now, updated_by: actor, reason: 'lifted by an operator', lifted_at: now })
        .where('model', '=', model)
        .where('principal', '=', principal)
        .execute();
      return { known: true, before: this.decayed(asLevel(row.level), timeOf(row.updated_at)) };
    });
    if (outcome.known) {
      // This replica applies the lift itself; its next refresh must not report it again.
      const key = pairKey(principal, model);
      this.local((m) => {
        m.lifts.set(key, now);
        m.byModel.get(model)?.delete(principal);
      });
    }
    return outcome;
  }

  private locked(trx: StoreTransaction, principal: string, model: string) {
    return lockRows(
      this.store.dialect,
      trx.selectFrom('extraction_levels').selectAll().where('model', '=', model).where('principal', '=', principal),
    ).executeTakeFirst();
  }

  /** Applies a change to the maps now, and again over the snapshot of a refresh in progress. */
  private local(apply: (m: Maps) => void): void {
    apply(this.maps);
    this.replay?.push(apply);
  }

  private remember(principal: string, model: string, level: Level, reason: string): void {
    const now = this.clock();
    const updatedAt = new Date(now).toISOString();
    this.local((m) => {
      const old = m.byModel.get(model)?.get(principal);
      if (old && levelRank(this.decayed(old.row.raised, old.raisedAt)) > levelRank(level)) return;
      setEntry(m, model, principal, {
        raisedAt: now,
        row: { principal, model, raised: level, level, updatedAt, updatedBy: this.options.replica, reason, liftedAt: old?.row.liftedAt ?? null },
      });
    });
  }

  /** Deletes rows that hold nothing any more, unless they changed since they were read. */
  private async prune(dead: readonly { principal: string; model: string; updatedAt: string }[]): Promise<void> {
    for (const d of dead) {
      await this.store.db
        .deleteFrom('extraction_levels')
        .where('model', '=', d.model)
        .where('principal', '=', d.principal)
        .where('updated_at', '=', d.updatedAt)
        .execute();
      this.maps.byModel.get(d.model)?.delete(d.principal);
      this.maps.lifts.delete(pairKey(d.principal, d.model));
    }
  }

  private decayed(level: Level, raisedAt: number): Level {
    if (level === 'critical' || level === 'none') return level;
    if (this.options.cooldownMs <= 0) return 'none'; // no cooldown: only critical outlives the moment
    const steps = Math.floor(Math.max(0, this.clock() - raisedAt) / this.options.cooldownMs);
    return LEVELS[Math.max(0, levelRank(level) - steps)];
  }
}

function setEntry(m: Maps, model: string, principal: string, e: Entry): void {
  let byPrincipal = m.byModel.get(model);
  if (!byPrincipal) m.byModel.set(model, (byPrincipal = new Map()));
  byPrincipal.set(principal, e);
}

/** A stored time; an unreadable one counts as long ago, so the level it dates decays (critical stays). */
function timeOf(iso: string): number {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : 0;
}

/** A level read from the database; an unknown word (a newer replica's) counts as none. */
function asLevel(s: string): Level {
  return (LEVELS as readonly string[]).includes(s) ? (s as Level) : 'none';
}
