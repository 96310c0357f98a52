// Alerting (docs/alerts.md): rules over signals the server feeds, the AlertEngine state machine
// (pending -> firing -> resolved), history in the store, log and signed-webhook notifiers.
export {
  alertsConfigSchema, resolveRules, resolveWebhooks, webhookDisplayName, webhookSchema, webhookUrlProblem, MIN_SECRET_LENGTH,
  type AlertsConfig, type AlertsConfigInput, type ResolvedWebhook, type WebhookConfig,
} from './config.ts';
export { defaultRules, SIGNALS } from './defaults.ts';
export { AlertEngine, type AlertEngineOptions, type IntervalTimers, type SampleSource } from './engine.ts';
export {
  memoryHistory, DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT, type AlertHistory, type HistoryQuery, type StoredRule,
} from './history.ts';
export { logNotifier } from './log.ts';
export {
  CLIENT_ERROR_CODES, counterDelta, histogramQuantile, promSignals, type ErrorRateSpec, type PromSignalsOptions, type QuantileSpec,
} from './prom.ts';
export {
  AGGREGATIONS, OPERATORS, alertRuleSchema, conditionHolds, parseRule, selectInstances, type AlertRule, type AlertRuleInput, type Operator,
} from './rules.ts';
export { createAlerting, type Alerting, type AlertingOptions, type RuleView } from './setup.ts';
export { DEFAULT_TOLERANCE_SECONDS, SIGNATURE_HEADER, signatureHeader, verifySignature } from './signature.ts';
export { step, type InstanceState, type StepResult, type Transition } from './state.ts';
export { storeHistory } from './store-history.ts';
export {
  ALERT_STATES, DELIVERY_STATES, SEVERITIES, instanceKey, severityRank, type ActiveAlert, type AlertEvent, type AlertLogger,
  type AlertState, type DeliveryRecord, type DeliveryState, type Labels, type Notifier, type Sample, type Severity,
} from './types.ts';
export { backoffDelay, webhookPayload, WebhookNotifier, type WebhookNotifierOptions, type WebhookPayload } from './webhook.ts';
