import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'herald' },
    // Never let a secret reach the logs, wherever it appears in a logged object.
    redact: { paths: ['secret', '*.secret', 'apps[*].secret', 'auth', '*.auth'], censor: '[redacted]' },
  });
}
