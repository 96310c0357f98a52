// WebhookNotifier: POSTs signed JSON for firing and resolved events to one receiver. notify() only
// queues; one worker per receiver sends in order (a resolved never overtakes its firing), retries
// with exponential backoff and jitter, and records every attempt in the history.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { ResolvedWebhook } from './config.ts';
import type { AlertHistory } from './history.ts';
import { SIGNATURE_HEADER, signatureHeader } from './signature.ts';
import { severityRank, type AlertEvent, type AlertLogger, type DeliveryRecord, type Notifier } from './types.ts';

/** The JSON body receivers get (docs/alerts.md). */
export interface WebhookPayload {
  version: 1;
  id: string;
  alert: string;
  state: 'firing' | 'resolved';
  instanceKey: string;
  labels: Record<string, string>;
  value: number | null;
  severity: string;
  description: string;
  startsAt: string;
  endsAt?: string;
}

export interface WebhookNotifierOptions {
  webhook: ResolvedWebhook;
  history?: AlertHistory;
  logger?: AlertLogger;
  /** Epoch ms, for the signature's timestamp and the records. */
  now?: () => number;
  /** Waits between attempts; must reject when signal aborts (close()). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  newId?: () => string;
}

interface Job {
  record: DeliveryRecord;
  body: string;
  event: AlertEvent;
}

export function webhookPayload(e: AlertEvent): WebhookPayload {
  return {
    version: 1, id: e.id, alert: e.rule, state: e.state === 'resolved' ? 'resolved' : 'firing', instanceKey: e.instanceKey,
    labels: { ...e.labels }, value: e.value, severity: e.severity, description: e.description, startsAt: e.firedAt ?? e.activeAt,
    ...(e.resolvedAt ? { endsAt: e.resolvedAt } : {}),
  };
}

/** Delay before attempt n+1 after n failures: base * 2^(n-1), capped, then "equal jitter" (half
 * fixed, half random) so receivers recovering from an outage are not hit by every sender at once. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number, random: () => number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

export class WebhookNotifier implements Notifier {
  readonly name: string;
  private readonly hook: ResolvedWebhook;
  private readonly history?: AlertHistory;
  private readonly logger?: AlertLogger;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly newId: () => string;
  private readonly queue: Job[] = [];
  private readonly closing = new AbortController();
  private worker: Promise<void> | undefined;
  /** Record writes, in order: on a PostgreSQL pool two unchained writes could land out of order. */
  private saving: Promise<void> = Promise.resolve();

  constructor(options: WebhookNotifierOptions) {
    this.hook = options.webhook;
    this.name = `webhook:${options.webhook.name}`;
    this.history = options.history;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, { signal }));
    this.random = options.random ?? Math.random;
    this.newId = options.newId ?? randomUUID;
  }

  notify(event: AlertEvent): void {
    if (this.closing.signal.aborted) return;
    if (event.state !== 'firing' && event.state !== 'resolved') return;
    if (severityRank(event.severity) < severityRank(this.hook.minSeverity)) return;
    const record: DeliveryRecord = {
      id: this.newId(), eventId: event.id, target: this.hook.name, attempts: 0, lastStatus: null, lastError: null,
      state: 'pending', deliveredAt: null, updatedAt: this.iso(),
    };
    this.queue.push({ record, body: JSON.stringify(webhookPayload(event)), event });
    void this.save(record);
    while (this.queue.length > this.hook.maxQueue) this.giveUp(this.queue.shift()!, 'dropped: queue full');
    this.worker ??= this.drain().finally(() => (this.worker = undefined));
  }

  async idle(): Promise<void> {
    while (this.worker) await this.worker;
    await this.saving;
  }

  /** Stops sending: the attempt in flight finishes, nothing is retried, queued jobs are recorded as failed. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.idle();
  }

  private async drain(): Promise<void> {
    for (let job = this.queue.shift(); job; job = this.queue.shift()) {
      if (this.closing.signal.aborted) this.giveUp(job, 'abandoned: notifier closed');
      else await this.deliver(job);
    }
  }

  private async deliver(job: Job): Promise<void> {
    const { record } = job;
    for (;;) {
      const result = await this.attempt(job.body);
      record.attempts += 1;
      record.lastStatus = result.status;
      record.lastError = result.error;
      record.updatedAt = this.iso();
      if (result.ok) {
        record.state = 'delivered';
        record.deliveredAt = record.updatedAt;
        await this.save(record);
        return;
      }
      if (result.permanent || record.attempts >= this.hook.maxAttempts || this.closing.signal.aborted) {
        this.giveUp(job, result.permanent ? `${result.error} (not retried)` : result.error ?? 'failed');
        return;
      }
      await this.save(record);
      const delay = Math.max(backoffDelay(record.attempts, this.hook.backoffMs, this.hook.maxBackoffMs, this.random), result.retryAfterMs ?? 0);
      try {
        await this.sleep(Math.min(delay, this.hook.maxBackoffMs), this.closing.signal);
      } catch {
        this.giveUp(job, 'abandoned: notifier closed');
        return;
      }
    }
  }

  private async attempt(body: string): Promise<{ ok: boolean; permanent: boolean; status: number | null; error: string | null; retryAfterMs?: number }> {
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'ModelGate-Alerts/1',
      [SIGNATURE_HEADER]: signatureHeader(this.hook.secret, body, this.now() / 1000),
    };
    try {
      // No redirects: a receiver's 3xx must not turn this request towards another host.
      const res = await fetch(this.hook.url, {
        method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(this.hook.timeoutMs),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { ok: true, permanent: false, status: res.status, error: null };
      const retryable = res.status >= 500 || res.status === 408 || res.status === 425 || res.status === 429;
      const retryAfter = Number(res.headers.get('retry-after'));
      return {
        ok: false, permanent: !retryable, status: res.status, error: `HTTP ${res.status}`,
        ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
      };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const error = e.name === 'TimeoutError' ? `timed out after ${this.hook.timeoutMs} ms` : (e.cause?.code ?? e.message);
      return { ok: false, permanent: false, status: null, error };
    }
  }

  private giveUp(job: Job, reason: string): void {
    job.record.state = 'failed';
    job.record.lastError = reason;
    job.record.updatedAt = this.iso();
    void this.save(job.record);
    // The secret and headers are never logged; the target is its display name.
    this.logger?.error(
      { webhook: this.hook.name, alert: job.event.rule, state: job.event.state, eventId: job.event.id, attempts: job.record.attempts, reason },
      'alert notification given up',
    );
  }

  private save(record: DeliveryRecord): Promise<void> {
    const history = this.history;
    if (!history) return this.saving;
    const copy = { ...record };
    this.saving = this.saving.then(async () => {
      try {
        await history.saveDelivery(copy);
      } catch (err) {
        this.logger?.error({ err, webhook: this.hook.name, eventId: copy.eventId }, 'alert notification record could not be saved');
      }
    });
    return this.saving;
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
}
