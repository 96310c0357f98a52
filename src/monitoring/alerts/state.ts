// The state machine of one alert instance, as a pure function of (state, observation, now), so every
// transition is tested with plain numbers. Prometheus semantics: pending for `for`, then firing; a
// firing alert resolves when the condition fails, unless it held within the last keepFiringFor.
import { conditionHolds, type AlertRule } from './rules.ts';
import type { Labels } from './types.ts';

/** An instance that is pending or firing. Inactive instances are not kept at all. */
export interface InstanceState {
  key: string;
  /** The rule as it was when the instance last changed: a rule removed later still resolves with its name. */
  rule: AlertRule;
  labels: Labels;
  state: 'pending' | 'firing';
  value: number | null;
  activeAt: number;
  firedAt: number | null;
  lastTrueAt: number;
}

export type Transition = 'pending' | 'firing' | 'resolved' | 'inactive';

export interface StepResult {
  /** The instance after this evaluation; undefined when it is inactive (or just resolved). */
  next: InstanceState | undefined;
  /** The transition to record, if the state changed. The final state is in `ended` when next is undefined. */
  transition?: Transition;
  ended?: InstanceState;
}

/**
 * One evaluation of one instance. `observed` is the instance's value this time, or undefined when
 * its series has no sample (gone, stale): no data never holds a condition, like a missing series in
 * Prometheus, so an alert on a model that was unloaded resolves instead of firing forever.
 */
export function step(
  current: InstanceState | undefined,
  rule: AlertRule,
  key: string,
  labels: Labels,
  observed: number | undefined,
  now: number,
): StepResult {
  const holds = observed !== undefined && conditionHolds(rule, observed);
  const value = observed ?? current?.value ?? null;
  if (!current) {
    if (!holds) return { next: undefined };
    if (rule.for === 0) {
      return { next: { key, rule, labels, state: 'firing', value, activeAt: now, firedAt: now, lastTrueAt: now }, transition: 'firing' };
    }
    return { next: { key, rule, labels, state: 'pending', value, activeAt: now, firedAt: null, lastTrueAt: now }, transition: 'pending' };
  }
  if (current.state === 'pending') {
    if (!holds) {
      const ended = { ...current, rule, value };
      return { next: undefined, transition: 'inactive', ended };
    }
    const next = { ...current, rule, value, lastTrueAt: now };
    if (now - current.activeAt >= rule.for) return { next: { ...next, state: 'firing', firedAt: now }, transition: 'firing' };
    return { next };
  }
  if (holds) return { next: { ...current, rule, value, lastTrueAt: now } };
  if (now - current.lastTrueAt < rule.keepFiringFor) return { next: { ...current, rule, value } };
  return { next: undefined, transition: 'resolved', ended: { ...current, rule, value } };
}
