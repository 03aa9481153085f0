import { pino, type Logger } from 'pino';

/** One pino line, parsed: its numeric level (30 info, 20 debug, 50 error), message and fields. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** A logger (as createLogger makes, at `level`) whose lines the test can read. */
export function captureLogs(level: 'debug' | 'info' = 'debug'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level, base: { service: 'berth' } }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

/** Waits (a few seconds at most) until some line satisfies `match`; the server logs after the socket is gone. */
export async function waitForLine(lines: LogLine[], match: (line: LogLine) => boolean): Promise<LogLine> {
  for (let waited = 0; waited < 5000; waited += 10) {
    const found = lines.find(match);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no log line matched; lines: ${JSON.stringify(lines)}`);
}
