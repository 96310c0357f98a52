// Monitoring: Prometheus metrics of the serving path.
export { createMetrics, type Metrics } from './metrics.ts';
