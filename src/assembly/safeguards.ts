// Builds the request-path safeguards from the settings: version monitors (OOD, drift, feedback),
// rate limits, the extraction detector, and the audit records of their automatic decisions.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { AuditEntry } from '../audit/index.ts';
import type { Config } from '../config/index.ts';
import { createSafeguards, FeatureOffload, type AuditSink, type Safeguards } from '../dataplane/index.ts';
import type { Metrics } from '../monitoring/index.ts';
import { VersionMonitors } from '../monitoring/version-monitors.ts';
import { ExtractionControl, ExtractionDetector, SharedLevels } from '../security/extraction/index.ts';
import { createRateLimiter, RateLimitPolicy, type RateLimiter } from '../security/rate-limit/index.ts';
import type { Store } from '../store/index.ts';

/** The `action` label of modelgate_out_of_distribution_total for each mode that saw such an input. */
const OOD_ACTIONS = { record: 'recorded', flag: 'flagged', reject: 'rejected' } as const;

export interface SafeguardParts {
  safeguards: Safeguards;
  /** The feature worker: close it at shutdown. */
  features: FeatureOffload;
  monitors: VersionMonitors;
  extraction?: ExtractionDetector;
  /** Extraction verdicts for operators, kept in step with the other replicas through the store. */
  extractionControl?: ExtractionControl;
  limiter?: RateLimiter;
}

/** The request-path safeguards, as the settings switch them on: rate limits, extraction, OOD, drift. */
export function buildSafeguards(config: Config, metrics: () => Metrics, logger: Logger, audit: AuditSink, store: Store): SafeguardParts {
  // Automatic decisions are audited like admin actions; a failure to record one is logged, not fatal.
  const decision = (e: AuditEntry) => void audit.record(e).catch((err: unknown) => logger.error({ err: String(err) }, 'audit of a decision failed'));
  const monitors = new VersionMonitors({
    drift: config.drift,
    feedback: config.feedback,
    ood: config.ood,
    driftEnabled: config.driftEnabled,
    logger,
    onDrift: (m, r) => {
      metrics().safeguards.driftWindow(m, r);
      if (!r.drifted) return;
      logger.warn({ model: m.name, version: m.version, window: r.window, features: r.driftedFeatures }, 'drift detected');
      decision({ kind: 'decision', model: m.name, version: m.version, flags: ['drift'], detail: { action: 'drift-detected', target: `${m.name}@${m.version}`, after: { window: r.window, features: r.driftedFeatures } } });
    },
    onDecay: (m, s) => {
      logger.warn({ model: m.name, version: m.version, drops: s.drops }, 'model decay: feedback metrics dropped');
      decision({ kind: 'decision', model: m.name, version: m.version, flags: ['decay'], detail: { action: 'decay-detected', target: `${m.name}@${m.version}`, after: s.drops.map((d) => ({ ...d })) as never } });
    },
  });
  const limiter = config.rateLimitsEnabled
    ? createRateLimiter(config.rateLimits, { redisUrl: config.redisUrl, onError: (err) => logger.error({ err: String(err) }, 'rate limiter store failed') })
    : undefined;
  // Levels live in the store: held on every replica of one database, and across restarts.
  const shared = config.extractionEnabled
    ? new SharedLevels(store, { cooldownMs: config.extraction.cooldownMs, replica: `${hostname()}:${process.pid}` })
    : undefined;
  let control: ExtractionControl | undefined;
  const extraction = config.extractionEnabled
    ? new ExtractionDetector(config.extraction, {
        floor: (principal, model) => shared!.floor(principal, model),
        onEscalation: (e) => {
          metrics().safeguards.escalated(e.principal, e.model, e.level, e.action);
          logger.warn({ principal: e.principal, model: e.model, from: e.from, level: e.level, action: e.action }, 'extraction detector escalation');
          decision({
            kind: 'decision', principal: e.principal, model: e.model, flags: ['extraction-suspect'],
            detail: { action: `extraction-${e.action}`, target: e.principal, before: e.from, after: e.level, reason: `score ${e.score} after ${e.queries} queries` },
          });
          control?.escalated(e).catch((err: unknown) => logger.error({ err: String(err) }, 'storing an extraction level failed'));
        },
      })
    : undefined;
  if (extraction) control = new ExtractionControl(extraction, config.extraction, shared);
  const features = new FeatureOffload({ onWorkerError: (err) => logger.error({ err: String(err) }, 'the feature worker failed; its jobs run on the event loop') });
  const safeguards = createSafeguards({
    monitors,
    features,
    extraction,
    rateLimits: limiter && new RateLimitPolicy(limiter, config.rateLimits),
    oodMode: (model) => config.models[model]?.ood ?? config.oodMode,
    outputPolicy: (model) => config.models[model]?.outputPolicy ?? config.outputPolicy,
    events: { onOod: (v, _reasons, mode) => metrics().safeguards.outOfDistribution(v.name, v.version, OOD_ACTIONS[mode]) },
  });
  return { safeguards, features, monitors, extraction, extractionControl: control, limiter };
}
