import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { Scope } from '../../lib/scope.js';
import { ecrError } from '../../model/errors.js';
import { imageKey, parseImageKey, repositoryKey, scanKey } from '../../store/keys.js';
import type { ScanRecord } from '../../store/records.js';
import type { Store } from '../../store/store.js';
import { imagesLock, type ImagePushedListener } from '../images/images.js';
import { readScanningConfiguration, repositoryScanning } from './configuration.js';
import { messageOf } from './error-message.js';
import { loadVulnDb, type VulnDb } from './osv-db.js';
import { scanLimits, type ScanLimits } from './scan-limits.js';
import { failed, scanImage, unscannableReason, type ScanDeps, type ScanOutcome } from './scan-image.js';

// Scans run in the background, off the request path, one at a time (a scan streams whole
// layers; two at once would only share the same disk and CPU). The scan record is written
// IN_PROGRESS before a scan is queued, so a scan a restart cut short is found and redone.
//
// The queue holds images, not scans: a job scans whatever IN_PROGRESS scan the image's record
// holds when the job runs, and its result is written only if that scan is still the current one.
// So a scan started again while one is queued or running (a concurrent StartImageScan, an image
// deleted and pushed again) is never left IN_PROGRESS with nothing queued to finish it.

export interface ScanServiceOptions {
  store: Store;
  clock: Clock;
  /** Directory (or file) of OSV records; undefined: scans read images but report no findings. */
  vulnDbPath?: string;
  limits?: Partial<ScanLimits>;
  logger?: Pick<Logger, 'error' | 'info'>;
}

export interface ScanService {
  /**
   * Records the image's scan as IN_PROGRESS and queues it; a scan already IN_PROGRESS is left to
   * finish (and answered). A manual basic scan within 24 hours of the image's last basic scan,
   * manual or on push, is refused with LimitExceededException (API_StartImageScan).
   */
  start(scope: Scope, repositoryName: string, digest: string, options: { manual: boolean }): Promise<ScanRecord>;
  /**
   * Scan on push: queues a scan when the registry's or the repository's configuration asks for
   * one. Resolves once the IN_PROGRESS record is written (or nothing is to be scanned); never
   * rejects, so a caller may await it or not.
   */
  onImagePushed: ImagePushedListener;
  /** Requeues scans left IN_PROGRESS by a previous process. */
  resume(): Promise<number>;
  /** Resolves once nothing is queued or running. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** ECR allows one basic scan per image every 24 hours, a scan on push included (API_StartImageScan). */
const BASIC_SCAN_INTERVAL_MS = 24 * 60 * 60 * 1000;

interface Job {
  scope: Scope;
  repositoryName: string;
  digest: string;
}

const jobKey = (job: Job): string => scanKey(job.scope, job.repositoryName, job.digest);

export function createScanService(options: ScanServiceOptions): ScanService {
  const { store, clock } = options;
  const limits = scanLimits(options.limits);
  let database: Promise<VulnDb> | undefined;
  const deps: ScanDeps = {
    store,
    clock,
    limits,
    vulnDb: async () => {
      if (options.vulnDbPath === undefined) return undefined;
      const loading = (database ??= loadVulnDb(options.vulnDbPath));
      // A database that could not be read is tried again by the next scan, not cached as a failure.
      loading.catch(() => {
        if (database === loading) database = undefined;
      });
      return loading;
    },
  };
  /** Images waiting to be scanned, each once. */
  const queue: Job[] = [];
  const queued = new Set<string>();
  let running: Promise<void> | undefined;
  /** Aborts the running scan: on close, or when it passes maxScanSeconds. */
  let abortRunning: AbortController | undefined;
  let closed = false;
  let idleWaiters: Array<() => void> = [];

  /** The scan, or FAILED once it has taken maxScanSeconds (its reading is then aborted). */
  async function scanWithDeadline(job: Job, scanType: ScanRecord['scanType'], controller: AbortController): Promise<ScanOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<ScanOutcome>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve(failed(`The scan did not finish within ${limits.maxScanSeconds} seconds and was given up.`));
      }, limits.maxScanSeconds * 1000);
      timer.unref();
    });
    try {
      return await Promise.race([scanImage(deps, job.scope, job.repositoryName, job.digest, scanType, controller.signal), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function finish(job: Job): Promise<void> {
    const key = jobKey(job);
    const record = await store.tables.scans.get(key);
    // Finished by an earlier job, or the image was deleted: nothing to do.
    if (!record || record.status !== 'IN_PROGRESS') return;
    const controller = new AbortController();
    abortRunning = controller;
    let outcome: ScanOutcome;
    try {
      outcome = await scanWithDeadline(job, record.scanType, controller);
    } catch (error) {
      if (closed) return;
      options.logger?.error({ err: error, repository: job.repositoryName, digest: job.digest }, 'scan failed');
      outcome = failed(`The scan could not complete: ${messageOf(error)}`);
    } finally {
      abortRunning = undefined;
    }
    if (closed && controller.signal.aborted) return; // cut short by close(): redone after a restart
    // Under the image lock: an image deleted while it was scanned keeps no scan record.
    await store.exclusive(imagesLock(job.scope, job.repositoryName), async () => {
      const [image, current] = await Promise.all([
        store.tables.images.get(imageKey(job.scope, job.repositoryName, job.digest)),
        store.tables.scans.get(key),
      ]);
      // A scan started again meanwhile has its own startedAt; its job writes its own result.
      if (!image || !current || current.startedAt !== record.startedAt) return;
      const done: ScanRecord = {
        ...current,
        status: outcome.status,
        description: outcome.description,
        completedAt: clock.now().getTime(),
        findings: outcome.findings,
        severityCounts: outcome.severityCounts,
        ...(outcome.vulnerabilitySourceUpdatedAt !== undefined ? { vulnerabilitySourceUpdatedAt: outcome.vulnerabilitySourceUpdatedAt } : {}),
      };
      await store.write((batch) => batch.put('scans', key, done));
    });
  }

  function pump(): void {
    if (running || closed) return;
    const job = queue.shift();
    if (!job) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const wake of waiters) wake();
      return;
    }
    // Out of the queue before it runs: a scan started again while this one runs queues a new job.
    queued.delete(jobKey(job));
    running = finish(job)
      .catch((error: unknown) => {
        if (!closed) options.logger?.error({ err: error }, 'could not record a scan result');
      })
      .finally(() => {
        running = undefined;
        pump();
      });
  }

  function enqueue(job: Job): void {
    if (closed || queued.has(jobKey(job))) return;
    queued.add(jobKey(job));
    queue.push(job);
    // Later, not now: the request that started the scan answers first.
    setImmediate(pump);
  }

  const service: ScanService = {
    async start(scope, repositoryName, digest, { manual }) {
      const key = scanKey(scope, repositoryName, digest);
      const { scanType } = await readScanningConfiguration(store, scope);
      const record = await store.exclusive(key, async () => {
        const previous = await store.tables.scans.get(key);
        const now = clock.now().getTime();
        // Checked under the lock, so two StartImageScan calls at once cannot both pass.
        if (manual && scanType === 'BASIC' && previous?.manualScanAt !== undefined && now - previous.manualScanAt < BASIC_SCAN_INTERVAL_MS) {
          throw ecrError('LimitExceededException', 'The scan quota per image has been exceeded. Wait and try again.');
        }
        if (previous?.status === 'IN_PROGRESS') return previous;
        const next: ScanRecord = {
          status: 'IN_PROGRESS',
          scanType,
          // Distinct per scan, so a late result of an earlier scan never lands on a newer one.
          startedAt: Math.max(now, (previous?.startedAt ?? 0) + 1),
          // Every basic scan counts toward the daily limit, on push too (the field's name is historical).
          ...(scanType === 'BASIC' ? { manualScanAt: now } : previous?.manualScanAt !== undefined ? { manualScanAt: previous.manualScanAt } : {}),
        };
        await store.write((batch) => batch.put('scans', key, next));
        return next;
      });
      enqueue({ scope, repositoryName, digest });
      return record;
    },

    async onImagePushed(scope, repositoryName, image, manifest) {
      // Lists and artifacts (signatures, SBOMs, Helm charts) have no filesystem: nothing to scan on push.
      if (closed || unscannableReason(manifest.mediaType, manifest.layers)) return;
      try {
        const repository = await store.tables.repositories.get(repositoryKey(scope, repositoryName));
        if (!repository) return;
        const { scanFrequency } = repositoryScanning(await readScanningConfiguration(store, scope), repository);
        if (scanFrequency === 'MANUAL') return;
        await service.start(scope, repositoryName, image.digest, { manual: false });
      } catch (error) {
        if (!closed) options.logger?.error({ err: error }, 'could not start a scan on push');
      }
    },

    async resume() {
      let count = 0;
      for (const [key, record] of await store.tables.scans.list('')) {
        if (record.status !== 'IN_PROGRESS') continue;
        enqueue(parseImageKey(key));
        count += 1;
      }
      return count;
    },

    idle() {
      if (!running && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },

    async close() {
      closed = true;
      queue.length = 0;
      queued.clear();
      // The running scan stops reading; it stays IN_PROGRESS in the store and is redone at the next start.
      abortRunning?.abort();
      await running;
      for (const wake of idleWaiters) wake();
      idleWaiters = [];
    },
  };
  return service;
}
