// Periodic work of the rollout controller.
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { RolloutController } from '../routing/index.ts';

/** Canary analysis on a timer, and policy changes made through other replicas picked up. */
export function startRolloutTimers(rollouts: RolloutController, config: Config, logger: Logger): NodeJS.Timeout[] {
  const every = (ms: number, work: () => Promise<unknown>, what: string) => {
    if (ms <= 0) return [];
    const t = setInterval(() => void work().catch((err: unknown) => logger.error({ err: String(err) }, `${what} failed`)), ms);
    t.unref();
    return [t];
  };
  return [...every(config.rolloutTickMs, () => rollouts.tick(), 'rollout analysis'), ...every(config.registryPollMs, () => rollouts.refresh(), 'endpoint refresh')];
}
