// Prints the metrics table of docs/metrics.md from the metrics registry itself, so the doc cannot
// drift from the code: `node --import tsx scripts/metrics-doc.ts`. Node.js process metrics (prom-client's
// defaults, also prefixed modelgate_) are summarised in one line of the doc instead.
import { createMetrics } from '../src/monitoring/index.ts';
import { ModelSet } from '../src/registry/index.ts';

const { registry } = createMetrics(new ModelSet());
const rows: string[] = [];
for (const m of await registry.getMetricsAsJSON()) {
  const metric = registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] };
  const labels = metric.labelNames ?? [];
  // The defaults have no labels of ours; skip them but keep ours that have none.
  if (/^modelgate_(process_|nodejs_)/.test(m.name)) continue;
  rows.push(`| \`${m.name}\` | ${m.type} | ${labels.map((l) => `\`${l}\``).join(', ')} | ${m.help.replace(/\|/g, '\\|')} |`);
}
process.stdout.write(['| metric | type | labels | what |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n');
