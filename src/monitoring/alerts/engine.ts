// AlertEngine: holds the latest value of every signal, evaluates the rules on a timer it owns, moves
// each instance (rule x label set) through pending -> firing -> resolved, records every transition
// in the history and hands firing and resolved events to the notifiers, which queue their own work.
import { randomUUID } from 'node:crypto';
import { ModelGateError } from '../../errors.ts';
import { memoryHistory, type AlertHistory, type HistoryQuery } from './history.ts';
import { selectInstances, type AlertRule } from './rules.ts';
import { step, type InstanceState, type Transition } from './state.ts';
import { instanceKey, type ActiveAlert, type AlertEvent, type AlertLogger, type Labels, type Notifier, type Sample } from './types.ts';

/** Polled at every evaluation; `now` is the evaluation time (rates over an interval need it). */
export type SampleSource = (now: number) => readonly Sample[] | Promise<readonly Sample[]>;

export interface IntervalTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface AlertEngineOptions {
  rules: readonly AlertRule[];
  /** Where events go; default an in-memory history (nothing survives a restart). */
  history?: AlertHistory;
  notifiers?: readonly Notifier[];
  sources?: readonly SampleSource[];
  logger?: AlertLogger;
  now?: () => number;
  /** Values pushed with set() older than this are treated as absent; default: they never go stale. */
  staleAfterMs?: number;
  timers?: IntervalTimers;
  newId?: () => string;
}

interface Pushed {
  sample: Sample;
  at: number;
}

const realTimers: IntervalTimers = {
  setInterval: (fn, ms) => {
    const handle = setInterval(fn, ms);
    handle.unref(); // the engine must not keep a stopping process alive
    return handle;
  },
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export class AlertEngine {
  private ruleList: AlertRule[];
  private readonly recorder: AlertHistory;
  private readonly notifiers: readonly Notifier[];
  private readonly sources: readonly SampleSource[];
  private readonly lastSourced: (readonly Sample[])[];
  private readonly logger?: AlertLogger;
  private readonly now: () => number;
  private readonly staleAfterMs?: number;
  private readonly timers: IntervalTimers;
  private readonly newId: () => string;
  private readonly pushed = new Map<string, Pushed>();
  private readonly instances = new Map<string, InstanceState>();
  private running: Promise<AlertEvent[]> = Promise.resolve([]);
  private busy = false;
  private timer: unknown;

  constructor(options: AlertEngineOptions) {
    this.ruleList = checkUnique(options.rules);
    this.recorder = options.history ?? memoryHistory();
    this.notifiers = options.notifiers ?? [];
    this.sources = options.sources ?? [];
    this.lastSourced = this.sources.map(() => []);
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.staleAfterMs = options.staleAfterMs;
    this.timers = options.timers ?? realTimers;
    this.newId = options.newId ?? randomUUID;
  }

  /** The latest value of one series of a signal; it holds until replaced, deleted or stale. */
  set(signal: string, labels: Labels, value: number | boolean): void {
    const frozen = Object.freeze({ ...labels });
    this.pushed.set(seriesKey(signal, frozen), { sample: { signal, labels: frozen, value }, at: this.now() });
  }

  /** Forgets one series (labels given) or every series of a signal: its alerts resolve next time. */
  delete(signal: string, labels?: Labels): void {
    if (labels) {
      this.pushed.delete(seriesKey(signal, labels));
      return;
    }
    for (const [key, p] of this.pushed) if (p.sample.signal === signal) this.pushed.delete(key);
  }

  /** Replaces the rules; instances of a removed rule resolve (or go inactive) at the next evaluation. */
  setRules(rules: readonly AlertRule[]): void {
    this.ruleList = checkUnique(rules);
  }

  rules(): readonly AlertRule[] {
    return this.ruleList;
  }

  /** Evaluates every rule once. Calls are serialised; the returned events are this call's transitions. */
  evaluate(now: number = this.now()): Promise<AlertEvent[]> {
    const run = this.running.catch(() => []).then(() => this.evaluateOnce(now));
    this.running = run;
    return run;
  }

  /** Evaluates every intervalMs until stop(). A tick that finds the previous one running is skipped. */
  start(intervalMs: number): void {
    if (this.timer !== undefined) return;
    this.timer = this.timers.setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.evaluate()
        .catch((err: unknown) => this.logger?.error({ err }, 'alert evaluation failed'))
        .finally(() => (this.busy = false));
    }, intervalMs);
  }

  /** Stops the timer and waits for a running evaluation; notifiers are closed by their owner. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) this.timers.clearInterval(this.timer);
    this.timer = undefined;
    await this.running.catch(() => undefined);
  }

  active(): ActiveAlert[] {
    return [...this.instances.values()].map((i) => ({
      instanceKey: i.key, rule: i.rule.name, labels: i.labels, state: i.state, value: i.value, severity: i.rule.severity,
      description: i.rule.description, activeAt: iso(i.activeAt), firedAt: i.firedAt === null ? null : iso(i.firedAt), lastTrueAt: iso(i.lastTrueAt),
    }));
  }

  /** Recorded transitions, newest first. */
  history(query?: HistoryQuery): Promise<AlertEvent[]> {
    return this.recorder.events(query);
  }

  /**
   * Takes back what was pending or firing when the last process stopped (from the history), so
   * those alerts resolve here when their condition no longer holds instead of staying open at the
   * receivers forever. Call once, before start(); rules that no longer exist resolve at once.
   */
  async restore(): Promise<number> {
    const open = await this.recorder.lastActive();
    const byName = new Map(this.ruleList.map((r) => [r.name, r]));
    for (const e of open) {
      if (this.instances.has(e.instanceKey)) continue;
      const rule = byName.get(e.rule) ?? removedRule(e);
      const activeAt = Date.parse(e.activeAt);
      this.instances.set(e.instanceKey, {
        key: e.instanceKey, rule, labels: e.labels, state: e.state === 'firing' ? 'firing' : 'pending', value: e.value,
        activeAt, firedAt: e.firedAt === null ? null : Date.parse(e.firedAt), lastTrueAt: Date.parse(e.at),
      });
    }
    return open.length;
  }

  private async evaluateOnce(now: number): Promise<AlertEvent[]> {
    const samples = await this.collect(now);
    const events: AlertEvent[] = [];
    const seen = new Set<string>();
    for (const rule of this.ruleList) {
      const observed = new Map<string, { labels: Labels; value: number }>();
      for (const inst of selectInstances(rule, samples)) observed.set(instanceKey(rule.name, inst.labels), inst);
      // Instances seen now, plus those known from before whose series went away (they resolve).
      const keys = new Set([...observed.keys(), ...[...this.instances.values()].filter((i) => i.rule.name === rule.name).map((i) => i.key)]);
      for (const key of keys) {
        seen.add(key);
        const current = this.instances.get(key);
        const obs = observed.get(key);
        const result = step(current, rule, key, obs?.labels ?? current!.labels, obs?.value, now);
        this.apply(key, result.next);
        if (result.transition) events.push(this.event(result.next ?? result.ended!, result.transition, now));
      }
    }
    for (const [key, inst] of this.instances) {
      if (seen.has(key)) continue;
      // The rule was removed: end its instances now, no grace.
      const result = step(inst, removedRule(inst), key, inst.labels, undefined, now);
      this.apply(key, result.next);
      if (result.transition) events.push(this.event(result.ended ?? inst, result.transition, now));
    }
    for (const e of events) await this.publish(e);
    return events;
  }

  private async collect(now: number): Promise<Sample[]> {
    const out: Sample[] = [];
    for (const p of this.pushed.values()) {
      if (this.staleAfterMs === undefined || now - p.at <= this.staleAfterMs) out.push(p.sample);
    }
    for (let i = 0; i < this.sources.length; i++) {
      try {
        this.lastSourced[i] = await this.sources[i](now);
      } catch (err) {
        // Keep the source's previous samples: a failed scrape must not resolve its alerts.
        this.logger?.error({ err, source: i }, 'alert signal source failed; using its previous samples');
      }
      out.push(...this.lastSourced[i]);
    }
    return out;
  }

  private apply(key: string, next: InstanceState | undefined): void {
    if (next) this.instances.set(key, next);
    else this.instances.delete(key);
  }

  private event(s: InstanceState, state: Transition, now: number): AlertEvent {
    return {
      id: this.newId(), instanceKey: s.key, rule: s.rule.name, labels: s.labels, state, value: s.value, severity: s.rule.severity,
      description: s.rule.description, activeAt: iso(s.activeAt), firedAt: s.firedAt === null ? null : iso(s.firedAt),
      resolvedAt: state === 'resolved' ? iso(now) : null, at: iso(now),
    };
  }

  private async publish(e: AlertEvent): Promise<void> {
    try {
      await this.recorder.recordEvent(e);
    } catch (err) {
      // Notify anyway: a database outage is exactly when alerts must still go out.
      this.logger?.error({ err, alert: e.rule, eventId: e.id }, 'alert event could not be recorded');
    }
    if (e.state !== 'firing' && e.state !== 'resolved') return;
    for (const n of this.notifiers) {
      try {
        n.notify(e);
      } catch (err) {
        this.logger?.error({ err, notifier: n.name, alert: e.rule }, 'alert notifier failed');
      }
    }
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function seriesKey(signal: string, labels: Labels): string {
  return instanceKey(signal, labels);
}

function checkUnique(rules: readonly AlertRule[]): AlertRule[] {
  const names = new Set<string>();
  for (const r of rules) {
    if (names.has(r.name)) throw new ModelGateError('MG_CONFIG_INVALID', `alert rule '${r.name}' is defined twice`);
    names.add(r.name);
  }
  return [...rules];
}

/** A stand-in for a rule that no longer exists: never holds, no grace, same name and severity. */
function removedRule(from: InstanceState | AlertEvent): AlertRule {
  const base = 'rule' in from && typeof from.rule === 'object' ? from.rule : undefined;
  const e = from as AlertEvent;
  return {
    name: base?.name ?? e.rule, description: base?.description ?? e.description, signal: '', labels: {}, aggregate: 'max',
    condition: { op: '==', threshold: Number.NaN }, for: 0, keepFiringFor: 0, severity: base?.severity ?? e.severity,
  };
}
