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
