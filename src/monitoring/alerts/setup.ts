// createAlerting: what the server wires from the `alerts` config section: the rules in force, the
// engine over the store's history, the log and webhook notifiers, and the operations the admin API
// exposes (active alerts, history, rules, custom rules kept in the store).
import type { Store } from '../../store/index.ts';
import { ModelGateError } from '../../errors.ts';
import { resolveRules, resolveWebhooks, type AlertsConfig } from './config.ts';
import { AlertEngine, type SampleSource } from './engine.ts';
import { memoryHistory, type AlertHistory, type HistoryQuery } from './history.ts';
import { logNotifier } from './log.ts';
import { parseRule, type AlertRule } from './rules.ts';
import { storeHistory } from './store-history.ts';
import type { ActiveAlert, AlertEvent, AlertLogger, DeliveryRecord, Notifier } from './types.ts';
import { WebhookNotifier } from './webhook.ts';

export interface AlertingOptions {
  config: AlertsConfig;
  logger: AlertLogger;
  /** Without a store, history lives in memory and custom rules cannot be saved. */
  store?: Store;
  sources?: readonly SampleSource[];
  env?: Readonly<Record<string, string | undefined>>;
  readFile?: (path: string) => string;
  now?: () => number;
}

export interface RuleView {
  rule: AlertRule;
  /** 'default' and 'config' rules change with the config file; 'store' rules through the admin API. */
  source: 'default' | 'config' | 'store';
}

export interface Alerting {
  readonly engine: AlertEngine;
  readonly history: AlertHistory;
  readonly notifiers: readonly Notifier[];
  /** Loads stored rules, takes back alerts left open by the previous process, starts the timer. */
  start(): Promise<void>;
  active(): ActiveAlert[];
  events(query?: HistoryQuery): Promise<AlertEvent[]>;
  deliveries(query: { eventId?: string; limit?: number }): Promise<DeliveryRecord[]>;
  rules(): Promise<RuleView[]>;
  /** Validates and stores a custom rule (replacing one of the same name), then applies the rules. */
  saveRule(input: unknown, actor: string): Promise<AlertRule>;
  /** Removes a stored rule; throws MG_NOT_FOUND when there is none of that name. */
  deleteRule(name: string): Promise<void>;
  /** Stops evaluating; the attempts in flight finish (bounded by their timeout), retries and queued
   * notifications are abandoned and recorded as failed. */
  close(): Promise<void>;
}

export function createAlerting(options: AlertingOptions): Alerting {
  const { config, logger } = options;
  const history = options.store ? storeHistory(options.store) : memoryHistory();
  const webhooks = resolveWebhooks(config.webhooks, options.env, options.readFile);
  const notifiers: Notifier[] = [
    logNotifier(logger),
    ...webhooks.map((webhook) => new WebhookNotifier({ webhook, history, logger, ...(options.now ? { now: options.now } : {}) })),
  ];
  const engine = new AlertEngine({
    rules: resolveRules(config), history, notifiers, sources: options.sources ?? [], logger, ...(options.now ? { now: options.now } : {}),
  });

  async function stored(): Promise<AlertRule[]> {
    return options.store ? (await history.listRules()).map((s) => s.rule) : [];
  }
  async function apply(): Promise<void> {
    engine.setRules(resolveRules(config, await stored()));
  }

  return {
    engine,
    history,
    notifiers,
    async start() {
      await apply();
      const restored = await engine.restore();
      if (restored > 0) logger.info({ restored }, 'alerts left open by the previous run taken back');
      engine.start(config.evaluationIntervalMs);
    },
    active: () => engine.active(),
    events: (query) => engine.history(query),
    deliveries: (query) => history.deliveries(query),
    async rules() {
      const storedNames = new Set((await stored()).map((r) => r.name));
      const configNames = new Set(config.rules.map((r) => r.name));
      return engine.rules().map((rule) => ({
        rule,
        source: storedNames.has(rule.name) ? 'store' : configNames.has(rule.name) ? 'config' : 'default',
      }));
    },
    async saveRule(input, actor) {
      if (!options.store) throw new ModelGateError('MG_CONFLICT', 'custom alert rules need a store');
      const rule = parseRule(input);
      await history.saveRule(rule, actor);
      await apply();
      return rule;
    },
    async deleteRule(name) {
      if (!(await history.deleteRule(name))) throw new ModelGateError('MG_NOT_FOUND', `no stored alert rule named '${name}'`);
      await apply();
    },
    async close() {
      await engine.stop();
      await Promise.all(notifiers.map((n) => n.close?.()));
    },
  };
}
