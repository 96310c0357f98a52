// The log notifier: every firing and resolved event as one structured line, so alerts reach whatever
// already collects the server's logs even when no webhook is configured or reachable.
import type { AlertEvent, AlertLogger, Notifier } from './types.ts';

export function logNotifier(logger: AlertLogger): Notifier {
  return {
    name: 'log',
    notify(e: AlertEvent) {
      const fields = { alert: e.rule, state: e.state, severity: e.severity, labels: e.labels, value: e.value, eventId: e.id, instanceKey: e.instanceKey };
      if (e.state === 'resolved') logger.info(fields, `alert resolved: ${e.rule}`);
      else if (e.state === 'firing') {
        if (e.severity === 'critical') logger.error(fields, `alert firing: ${e.rule}`);
        else logger.warn(fields, `alert firing: ${e.rule}`);
      }
    },
  };
}
