// Periodic work: canary analysis, and what other replicas changed in the store picked up.
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { RolloutController } from '../routing/index.ts';
import type { ExtractionControl } from '../security/extraction/index.ts';

/** Canary analysis on a timer; endpoint policies and extraction levels of other replicas picked up. */
export function startPeriodicWork(rollouts: RolloutController, config: Config, logger: Logger, extraction?: ExtractionControl): NodeJS.Timeout[] {
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
  ];
}
