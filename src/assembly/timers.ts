// Periodic work: canary analysis, drift windows closed on time, and what other replicas changed in
// the store picked up.
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { archiveExpired } from '../audit/index.ts';
import type { Config } from '../config/index.ts';
import type { Store } from '../store/index.ts';
import type { VersionMonitors } from '../monitoring/version-monitors.ts';
import type { RolloutController } from '../routing/index.ts';
import type { ExtractionControl } from '../security/extraction/index.ts';

/** How often drift windows are checked for their time limit: a check is one comparison per version. */
export const DRIFT_CHECK_MS = 5_000;

/** Canary analysis on a timer; drift windows closed on time even when no request comes (a model
 * whose traffic stopped is judged on what it had); endpoint policies and extraction levels of other
 * replicas picked up. */
export function startPeriodicWork(rollouts: RolloutController, config: Config, logger: Logger, extraction?: ExtractionControl, monitors?: () => VersionMonitors | undefined): NodeJS.Timeout[] {
  const every = (ms: number, work: () => Promise<unknown>, what: string) => {
    if (ms <= 0) return [];
    const t = setInterval(() => void work().catch((err: unknown) => logger.error({ err: String(err) }, `${what} failed`)), ms);
    t.unref();
    return [t];
  };
  return [
    ...every(config.rolloutTickMs, () => rollouts.tick(), 'rollout analysis'),
    ...every(config.registryPollMs, () => rollouts.refresh(), 'endpoint refresh'),
    ...(extraction ? every(config.registryPollMs, () => extraction.sync(), 'extraction level refresh') : []),
    ...(monitors ? every(DRIFT_CHECK_MS, async () => closeDueWindows(monitors()), 'drift window check') : []),
  ];
}

/** Closes every drift window whose time is up (and that holds enough rows); its result goes where a
 * window closed by a request would (metrics, alerts, the audit log). */
export function closeDueWindows(monitors: VersionMonitors | undefined): void {
  for (const m of monitors?.all() ?? []) m.drift?.tick();
}

/** How often audit retention looks for records past their age. */
export const RETENTION_CHECK_MS = 3_600_000;

/** Audit retention on a timer (with auditRetentionDays set): old records archived to `dir`. */
export function startRetention(config: Config, store: Store, publicKey: KeyObject, dir: string, logger: Logger): NodeJS.Timeout[] {
  if (config.auditRetentionDays <= 0 || !config.auditEnabled) return [];
  const run = async () => {
    const result = await archiveExpired(store, { days: config.auditRetentionDays, dir, publicKey });
    if (result?.archived) {
      logger.info({ from: result.fromSeq, to: result.toSeq, records: result.records, files: result.runs.map((r) => r.file) }, 'audit records past retention archived');
    }
  };
  const t = setInterval(() => void run().catch((err: unknown) => logger.error({ err: String(err) }, 'audit retention failed')), RETENTION_CHECK_MS);
  t.unref();
  return [t];
}
