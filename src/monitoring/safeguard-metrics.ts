// Metrics of the safeguards: rejections by reason, out-of-distribution inputs, extraction
// escalations, drift per feature and feedback metrics. Labels stay bounded: models and versions
// are loaded ones, features come from the baseline, reasons and levels are fixed lists.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ErrorCode } from '../errors.ts';
import type { DriftResult } from './drift/index.ts';
import type { VersionMonitor, VersionMonitors } from './version-monitors.ts';

const OVERLOAD_CODES: ReadonlySet<string> = new Set<ErrorCode>(['MG_QUEUE_FULL', 'MG_OVERLOADED', 'MG_SHUTTING_DOWN']);

/**
 * Why a request was refused, from its answer: the safeguard that refused it (its audit flag) first,
 * then the status. Undefined for answers that are not refusals of the caller (404, 409, server faults,
 * a busy database).
 */
export function rejectionReason(status: number, code: string, flags: readonly string[]): string | undefined {
  if (flags.includes('extraction-suspect')) return 'extraction';
  if (flags.includes('out-of-distribution')) return 'out_of_distribution';
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate_limit';
  if (status === 400 || status === 413 || status === 415) return 'input_constraint';
  if (status === 503 && OVERLOAD_CODES.has(code)) return 'overload';
  if (status === 504) return 'timeout';
  return undefined;
}

export function createSafeguardMetrics(registry: Registry, monitors: () => VersionMonitors | undefined) {
  const rejections = new Counter({
    name: 'modelgate_rejections_total',
    help: 'Requests refused, by reason (auth, rate_limit, input_constraint, out_of_distribution, extraction, overload, timeout), and the loaded model and version they named (empty otherwise)',
    labelNames: ['plane', 'reason', 'model', 'version'],
    registers: [registry],
  });
  const ood = new Counter({
    name: 'modelgate_out_of_distribution_total',
    help: 'Requests whose inputs fell outside the packaged baseline, by what was done (flagged, recorded or rejected)',
    labelNames: ['model', 'version', 'action'],
    registers: [registry],
  });
  const escalations = new Counter({
    name: 'modelgate_extraction_escalations_total',
    help: 'Extraction detector level changes of a principal on a model, by the level reached',
    labelNames: ['model', 'level', 'action'],
    registers: [registry],
  });
  const suspects = new Set<string>();
  new Gauge({
    name: 'modelgate_extraction_suspects',
    help: 'Principals currently at an extraction level above none',
    registers: [registry],
    collect() {
      this.set(suspects.size);
    },
  });
  const driftStat = new Gauge({
    name: 'modelgate_drift_statistic',
    help: 'Drift statistic of the last closed window per feature (KS D, PSI, JS distance or chi-square)',
    labelNames: ['model', 'version', 'feature'],
    registers: [registry],
  });
  const drifted = new Gauge({
    name: 'modelgate_drift_detected',
    help: '1 when the last closed window drifted from the baseline (after multiple-testing correction)',
    labelNames: ['model', 'version'],
    registers: [registry],
  });
  new Gauge({
    name: 'modelgate_feedback_metric',
    help: 'Rolling metric over labelled feedback (accuracy, precision, recall, f1)',
    labelNames: ['model', 'version', 'metric'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of monitors()?.all() ?? []) {
        const s = m.feedback?.current();
        if (!s || s.labelled === 0) continue;
        for (const [metric, value] of Object.entries(s.metrics)) this.set({ model: m.name, version: m.version, metric }, value);
      }
    },
  });
  new Gauge({
    name: 'modelgate_feedback_decayed',
    help: '1 when a feedback metric dropped below the packaged validation metric by more than the threshold',
    labelNames: ['model', 'version'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of monitors()?.all() ?? []) {
        const s = m.feedback?.current();
        if (s?.judged) this.set({ model: m.name, version: m.version }, s.decayed ? 1 : 0);
      }
    },
  });
  const refusedPackages = new Counter({
    name: 'modelgate_package_refusals_total',
    // Every catalog code these paths throw: keep the list in step when one is added.
    help: 'Packages refused at upload, start-up import or load, by catalog code: MG_PACKAGE_INVALID, MG_SIGNATURE_INVALID, MG_DECRYPTION_FAILED, MG_CONFLICT (the version is registered with other bytes), MG_INFERENCE_FAILED (the warm-up run failed at load)',
    labelNames: ['code'],
    registers: [registry],
  });
  let firing: () => { rule: string; severity: string; state: string }[] = () => [];
  new Gauge({
    name: 'modelgate_alerts_firing',
    help: 'Alert instances firing now, by rule and severity',
    labelNames: ['rule', 'severity'],
    registers: [registry],
    collect() {
      this.reset();
      for (const a of firing()) if (a.state === 'firing') this.inc({ rule: a.rule, severity: a.severity });
    },
  });
  return {
    /** Where the firing alerts are read from, once the alert engine exists. */
    watchAlerts(source: () => { rule: string; severity: string; state: string }[]): void {
      firing = source;
    },
    packageRefused(code: string): void {
      refusedPackages.inc({ code });
    },
    /** Principals at an extraction level above none, for the extraction_suspects alert. */
    suspectCount: (): number => suspects.size,
    /** model and version must be loaded ones (or empty): labels stay bounded whatever a URL names. */
    rejected(plane: string, reason: string, model = '', version = ''): void {
      rejections.inc({ plane, reason, model, version });
    },
    outOfDistribution(model: string, version: string, action: string): void {
      ood.inc({ model, version, action });
    },
    escalated(principal: string, model: string, level: string, action: string): void {
      escalations.inc({ model, level, action });
      if (level === 'none') suspects.delete(`${principal}\u0000${model}`);
      else suspects.add(`${principal}\u0000${model}`);
    },
    driftWindow(m: VersionMonitor, r: DriftResult): void {
      for (const f of r.features) driftStat.set({ model: m.name, version: m.version, feature: f.feature }, f.statistic);
      drifted.set({ model: m.name, version: m.version }, r.drifted ? 1 : 0);
    },
  };
}

export type SafeguardMetrics = ReturnType<typeof createSafeguardMetrics>;
