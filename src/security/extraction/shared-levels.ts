// Extraction levels in the database, so that a principal escalated on one replica is held at that
// level on every replica, and a restart does not lift a block. Each replica still runs its own
// signals and ladder on the traffic it sees; the stored level is a floor under its verdicts, read
// from memory on every request and refreshed from the database every poll.
// Stored levels decay as the ladder does: one step per cooldownMs since they were raised, and
// `critical` never. An operator's lift is kept as a row at rank 0 with lifted_at set, so that the
// other replicas see it and forget their own state of the pair.
import { lockRows, isUniqueViolation, type Store } from '../../store/index.ts';
import { LEVELS, levelRank, type Level } from './config.ts';

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
}

/** A pair an operator lifted on another replica since the last refresh. */
export interface Lifted {
  principal: string;
  model: string;
}

interface Entry {
  raised: Level;
  raisedAt: number;
  row: StoredLevel;
}

export class SharedLevels {
  private byModel = new Map<string, Map<string, Entry>>();
  /** lifted_at of every pair as last read: a newer one is a lift this replica must apply. */
  private lifts = new Map<string, string>();
  private loaded = false;
  private readonly clock: () => number;

  constructor(private readonly store: Store, private readonly options: SharedLevelsOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** The stored level of the pair as it stands now; 'none' when nothing is stored. Memory only. */
  floor(principal: string, model: string): Level {
    const e = this.byModel.get(model)?.get(principal);
    return e ? this.decayed(e.raised, e.raisedAt) : 'none';
  }

  /** Every stored pair whose level stands above none now. */
  entries(): StoredLevel[] {
    const out: StoredLevel[] = [];
    for (const byPrincipal of this.byModel.values()) {
      for (const e of byPrincipal.values()) {
        const level = this.decayed(e.raised, e.raisedAt);
        if (level !== 'none') out.push({ ...e.row, level });
      }
    }
    return out;
  }

  /**
   * Reads every stored level. Returns the pairs lifted by an operator since the previous call (none
   * on the first call: a starting replica has no state of its own to forget).
   */
  async refresh(): Promise<Lifted[]> {
    const rows = await this.store.db.selectFrom('extraction_levels').selectAll().execute();
    const byModel = new Map<string, Map<string, Entry>>();
    const lifted: Lifted[] = [];
    const lifts = new Map<string, string>();
    for (const r of rows) {
      const raised = asLevel(r.level);
      const row: StoredLevel = {
        principal: r.principal, model: r.model, raised, level: raised, updatedAt: r.updated_at, updatedBy: r.updated_by, reason: r.reason, liftedAt: r.lifted_at,
      };
      let m = byModel.get(r.model);
      if (!m) byModel.set(r.model, (m = new Map()));
      m.set(r.principal, { raised, raisedAt: Date.parse(r.updated_at), row });
      if (r.lifted_at) {
        const key = pairKey(r.principal, r.model);
        lifts.set(key, r.lifted_at);
        if (this.loaded && r.lifted_at !== this.lifts.get(key)) lifted.push({ principal: r.principal, model: r.model });
      }
    }
    this.byModel = byModel;
    this.lifts = lifts;
    this.loaded = true;
    return lifted;
  }

  /**
   * Stores `level` for the pair unless the stored level stands at least as high now. Called when this
   * replica's ladder steps up; a step down is not stored (the stored level decays by itself).
   */
  async raise(principal: string, model: string, level: Level, reason: string): Promise<void> {
    if (level === 'none') return;
    const write = () =>
      this.store.transaction(async (trx) => {
        const row = await lockRows(
          this.store.dialect,
          trx.selectFrom('extraction_levels').selectAll().where('model', '=', model).where('principal', '=', principal),
        ).executeTakeFirst();
        if (row && levelRank(this.decayed(asLevel(row.level), Date.parse(row.updated_at))) >= levelRank(level)) return;
        const values = { level, rank: levelRank(level), updated_at: new Date(this.clock()).toISOString(), updated_by: this.options.replica, reason };
        if (row) await trx.updateTable('extraction_levels').set(values).where('model', '=', model).where('principal', '=', principal).execute();
        else await trx.insertInto('extraction_levels').values({ model, principal, lifted_at: null, ...values }).execute();
      });
    try {
      await write();
    } catch (err) {
      // Two replicas inserting the same new pair at once: the loser finds the row and decides again.
      if (!isUniqueViolation(err)) throw err;
      await write();
    }
    this.remember(principal, model, level, reason);
  }

  /** An operator lifts the pair everywhere; returns the level it stood at (none: nothing to lift). */
  async lift(principal: string, model: string, actor: string): Promise<Level> {
    const now = new Date(this.clock()).toISOString();
    const before = await this.store.transaction(async (trx) => {
      const row = await lockRows(
        this.store.dialect,
        trx.selectFrom('extraction_levels').selectAll().where('model', '=', model).where('principal', '=', principal),
      ).executeTakeFirst();
      if (!row) return 'none';
      await trx
        .updateTable('extraction_levels')
        .set({ level: 'none', rank: 0, updated_at: now, updated_by: actor, reason: 'lifted by an operator', lifted_at: now })
        .where('model', '=', model)
        .where('principal', '=', principal)
        .execute();
      return this.decayed(asLevel(row.level), Date.parse(row.updated_at));
    });
    // This replica applies the lift itself; its next refresh must not report it again.
    this.lifts.set(pairKey(principal, model), now);
    this.byModel.get(model)?.delete(principal);
    return before;
  }

  private remember(principal: string, model: string, level: Level, reason: string): void {
    const now = this.clock();
    let m = this.byModel.get(model);
    if (!m) this.byModel.set(model, (m = new Map()));
    const old = m.get(principal);
    if (old && levelRank(this.decayed(old.raised, old.raisedAt)) >= levelRank(level)) return;
    const updatedAt = new Date(now).toISOString();
    m.set(principal, {
      raised: level, raisedAt: now,
      row: { principal, model, raised: level, level, updatedAt, updatedBy: this.options.replica, reason, liftedAt: old?.row.liftedAt ?? null },
    });
  }

  private decayed(level: Level, raisedAt: number): Level {
    if (level === 'critical' || level === 'none') return level;
    if (this.options.cooldownMs <= 0) return 'none'; // no cooldown: only critical outlives the moment
    const steps = Number.isFinite(raisedAt) ? Math.floor(Math.max(0, this.clock() - raisedAt) / this.options.cooldownMs) : 0;
    return LEVELS[Math.max(0, levelRank(level) - steps)];
  }
}

const pairKey = (principal: string, model: string) => JSON.stringify([principal, model]);

/** A level read from the database; an unknown word (a newer replica's) counts as none. */
function asLevel(s: string): Level {
  return (LEVELS as readonly string[]).includes(s) ? (s as Level) : 'none';
}
