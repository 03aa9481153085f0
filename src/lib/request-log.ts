import type { RequestHandler } from 'express';
import type { Logger } from './logger.js';

/**
 * One log line per request at "info" (method, path, ECR operation, status, time). Costs
 * nothing when the level is quieter, which is the default.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (!logger.isLevelEnabled('info')) {
      next();
      return;
    }
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logger.info(
        {
          method: req.method,
          path: req.originalUrl,
          operation: req.headers['x-amz-target'],
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'request',
      );
    });
    next();
  };
}
