// The process logger: JSON lines, with every credential-bearing field redacted wherever it appears.
import { pino, type Logger } from 'pino';
import type { Config } from '../config/index.ts';

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    // Credentials never reach a log line, whatever object carries them.
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization', 'headers["x-api-key"]', '*.token', '*.bootstrapToken', '*.password', '*.secret'],
      censor: '[redacted]',
    },
  });
}

/**
 * Logs at most one line per key per interval, with how many were held back: for events a client can
 * cause at will (a refused credential), where every occurrence would let it flood the log.
 */
export function throttledWarning(logger: Logger, message: string, intervalMs = 60_000, now: () => number = Date.now): (reason: string, fields?: object) => void {
  const last = new Map<string, { at: number; held: number }>();
  return (reason, fields = {}) => {
    // A reason may quote what the client sent (a role name): bounded, so it cannot fill the line.
    const key = reason.length > 200 ? `${reason.slice(0, 200)}...` : reason;
    const t = now();
    const seen = last.get(key);
    if (seen && t - seen.at < intervalMs) {
      seen.held++;
      return;
    }
    // Bounded: reasons a client can vary (a role name) must not grow the map without end.
    if (last.size >= 1000) last.clear();
    last.set(key, { at: t, held: 0 });
    logger.warn({ ...fields, reason: key, ...(seen && seen.held > 0 && { heldBack: seen.held }) }, message);
  };
}
