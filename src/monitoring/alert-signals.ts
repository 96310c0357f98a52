// The signals the default alert rules watch, gathered from what the server already measures:
// error rate and p99 latency from the metrics registry, drift and decay from the version monitors,
// extraction suspects from the detector's metrics, and the audit chain's own verification.
import type { Registry } from 'prom-client';
import { promSignals, SIGNALS, type Sample, type SampleSource } from './alerts/index.ts';
import type { VersionMonitors } from './version-monitors.ts';

export interface AlertSignalDeps {
  registry: Registry;
  monitors: VersionMonitors;
  suspectCount: () => number;
  /** True when the audit chain failed its last check (or a write failed). */
  auditBroken?: () => Promise<boolean>;
}

export function alertSources(deps: AlertSignalDeps): SampleSource[] {
  const fromMetrics = promSignals({
    registry: deps.registry,
    errorRate: { counter: 'modelgate_inference_requests_total' },
    latency: { histogram: 'modelgate_inference_duration_seconds' },
  });
  const fromMonitors: SampleSource = async () => {
    const out: Sample[] = [];
    for (const m of deps.monitors.all()) {
      const labels = { model: m.name, version: m.version };
      const drift = m.drift?.current();
      if (drift && drift.windowsClosed > 0) out.push({ signal: SIGNALS.drift, labels, value: drift.drifted });
      const fb = m.feedback?.current();
      if (fb?.judged) out.push({ signal: SIGNALS.decay, labels, value: fb.decayed });
    }
    out.push({ signal: SIGNALS.extractionSuspects, labels: {}, value: deps.suspectCount() });
    if (deps.auditBroken) out.push({ signal: SIGNALS.auditChainBroken, labels: {}, value: await deps.auditBroken() });
    return out;
  };
  return [fromMetrics, fromMonitors];
}
