// The six rules every installation gets unless `alerts.defaults` is false. Each threshold's reasoning
// is in docs/alerts.md; the signal names are the ones the integrator feeds (SIGNALS below).
import { alertRuleSchema, type AlertRule, type AlertRuleInput } from './rules.ts';

/** Signal names the defaults watch. The server feeds them; custom rules may watch any other name. */
export const SIGNALS = {
  errorRate: 'error_rate',
  latencyP99: 'latency_p99_seconds',
  drift: 'drift',
  decay: 'decay',
  extractionSuspects: 'extraction_suspects',
  auditChainBroken: 'audit_chain_broken',
} as const;

const MINUTE = 60_000;

const DEFAULTS: AlertRuleInput[] = [
  {
    name: 'high_error_rate',
    description: 'More than 5% of inference requests failed with a server-side error for 2 minutes. Check the logs of the model version named in the labels; roll back if a new version is to blame.',
    signal: SIGNALS.errorRate,
    condition: { op: '>', threshold: 0.05 },
    // Two minutes of consecutive evaluations: one bad scrape or a deploy's blip does not page anyone.
    for: 2 * MINUTE,
    severity: 'critical',
  },
  {
    name: 'high_latency_p99',
    description: 'The 99th percentile of inference latency stayed above 1 second for 5 minutes. Look at queue depth and batch sizes; add workers or replicas.',
    signal: SIGNALS.latencyP99,
    condition: { op: '>', threshold: 1 },
    // Latency degrades service without failing it: wait longer before calling it real.
    for: 5 * MINUTE,
    severity: 'warning',
  },
  {
    name: 'input_drift',
    description: 'The last closed drift window of this model version differs from the training baseline (docs/drift.md). Inspect which features drifted; retrain or investigate the traffic source.',
    signal: SIGNALS.drift,
    condition: { op: '==', threshold: true },
    // The drift window already aggregates hundreds of rows with a corrected significance level.
    for: 0,
    severity: 'warning',
  },
  {
    name: 'model_decay',
    description: 'Ground-truth feedback shows a metric of this model version fell more than the allowed drop below its validation value. The model is measurably wrong: retrain or roll back.',
    signal: SIGNALS.decay,
    condition: { op: '==', threshold: true },
    for: 0,
    severity: 'critical',
  },
  {
    name: 'extraction_suspects',
    description: 'At least one principal is escalated on the model-extraction ladder (docs/extraction.md). Review its traffic; revoke the key if the pattern is confirmed.',
    signal: SIGNALS.extractionSuspects,
    condition: { op: '>', threshold: 0 },
    for: 0,
    severity: 'warning',
  },
  {
    name: 'audit_chain_broken',
    description: 'The audit log failed verification: a record or checkpoint does not match its hash chain or signature. Treat as a possible intrusion: preserve the database and investigate.',
    signal: SIGNALS.auditChainBroken,
    condition: { op: '==', threshold: true },
    // No grace at all: one failed verification is already proof, and it stays firing as long as
    // the integrator keeps reporting the chain broken (a verifier pass that succeeds resolves it).
    for: 0,
    severity: 'critical',
  },
];

export function defaultRules(): AlertRule[] {
  return DEFAULTS.map((r) => alertRuleSchema.parse(r));
}
