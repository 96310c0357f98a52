// The shapes alerting passes around: samples fed in, events that come out of the state machine, the
// delivery records of notifications, and the narrow interfaces (logger, notifier) the engine needs.

/** Label names to values; the set identifies one series of a signal (e.g. {model, version}). */
export type Labels = Readonly<Record<string, string>>;

/** Severity, from least to most urgent; webhooks filter on it with minSeverity. */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One value of a signal for one label set. Booleans count as 1 and 0 in conditions. */
export interface Sample {
  signal: string;
  labels: Labels;
  value: number | boolean;
}

/** States an alert instance (rule x label set) passes through. 'inactive' is recorded only when a
 * pending instance clears before it fired, so the history shows near misses too. */
export const ALERT_STATES = ['pending', 'firing', 'resolved', 'inactive'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** One transition of one alert instance, as stored in alert_events and sent to notifiers. */
export interface AlertEvent {
  /** A UUID, also the webhook payload's id: receivers deduplicate retries with it. */
  id: string;
  /** `rule{label="value",...}`, labels sorted: the same instance always has the same key. */
  instanceKey: string;
  rule: string;
  labels: Labels;
  state: AlertState;
  /** The last value observed (booleans as 1/0); null when the series disappeared. */
  value: number | null;
  severity: Severity;
  description: string;
  /** ISO-8601 times: when the condition first held, when the alert fired, when it resolved. */
  activeAt: string;
  firedAt: string | null;
  resolvedAt: string | null;
  /** When this transition happened. */
  at: string;
}

/** An alert instance currently pending or firing, as `active()` reports it. */
export interface ActiveAlert {
  instanceKey: string;
  rule: string;
  labels: Labels;
  state: 'pending' | 'firing';
  value: number | null;
  severity: Severity;
  description: string;
  activeAt: string;
  firedAt: string | null;
  /** The last evaluation at which the condition held (keepFiringFor counts from here). */
  lastTrueAt: string;
}

export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** A notification of one event to one target, as stored in alert_notifications. */
export interface DeliveryRecord {
  id: string;
  eventId: string;
  /** The target's name: the webhook's configured name, else its URL without query or credentials. */
  target: string;
  attempts: number;
  /** HTTP status of the last attempt; null when it got no answer (refused, timed out). */
  lastStatus: number | null;
  lastError: string | null;
  state: DeliveryState;
  deliveredAt: string | null;
  updatedAt: string;
}

/** pino-compatible: object first, message second. */
export interface AlertLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Receives firing and resolved events. notify must not block: slow work goes on a queue. */
export interface Notifier {
  readonly name: string;
  notify(event: AlertEvent): void;
  /** Resolves when every queued delivery has finished (delivered or given up). */
  idle?(): Promise<void>;
  /** Stops taking events; pending retries are abandoned and recorded as failed. */
  close?(): Promise<void>;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** Canonical instance key: rule name and labels sorted by name, Prometheus-style. */
export function instanceKey(rule: string, labels: Labels): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${rule}{${parts.join(',')}}`;
}
