import { pino, type Logger } from 'pino';

export type { Logger };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** pino writes JSON lines to stderr; quiet ("warn") unless asked for more. */
export function createLogger(level: LogLevel = 'warn'): Logger {
  return pino({ level, base: { service: 'berth' } }, pino.destination(2));
}
