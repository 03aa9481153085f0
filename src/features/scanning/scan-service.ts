import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { Scope } from '../../lib/scope.js';
import { imageKey, repositoryKey, scanKey } from '../../store/keys.js';
import type { ImageRecord, ScanRecord } from '../../store/records.js';
import type { Store } from '../../store/store.js';
import { imagesLock, readManifest } from '../images/images.js';
import { isIndexType, parseManifest } from '../images/manifest.js';
import { readScanningConfiguration, repositoryScanning } from './configuration.js';
import { loadVulnDb, type VulnDb } from './osv-db.js';
import type { ScanLimits } from './read-layers.js';
import { scanImage, unscannableReason, type ScanDeps } from './scan-image.js';

// Scans run in the background, off the request path, one at a time (a scan streams whole
// layers; two at once would only share the same disk and CPU). The scan record is written
// IN_PROGRESS before a scan is queued, so a scan a restart cut short is found and redone.

export interface ScanServiceOptions {
  store: Store;
  clock: Clock;
  /** Directory (or file) of OSV records; undefined: scans read images but report no findings. */
  vulnDbPath?: string;
  limits?: Partial<ScanLimits>;
  logger?: Pick<Logger, 'error' | 'info'>;
}

export interface ScanService {
  /** Records the image's scan as IN_PROGRESS (a manual one counts toward ECR's daily limit) and queues it. */
  start(scope: Scope, repositoryName: string, digest: string, options: { manual: boolean }): Promise<ScanRecord>;
  /** Scan on push: queues a scan when the registry's or the repository's configuration asks for one. */
  onImagePushed(scope: Scope, repositoryName: string, image: ImageRecord): void;
  /** Requeues scans left IN_PROGRESS by a previous process. */
  resume(): Promise<number>;
  /** Resolves once nothing is queued or running. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

interface Job {
  scope: Scope;
  repositoryName: string;
  digest: string;
  startedAt: number;
}

const jobKey = (job: Pick<Job, 'scope' | 'repositoryName' | 'digest'>): string => scanKey(job.scope, job.repositoryName, job.digest);

export function createScanService(options: ScanServiceOptions): ScanService {
  const { store, clock } = options;
  let database: Promise<VulnDb> | undefined;
  const deps: ScanDeps = {
    store,
    clock,
    limits: options.limits,
    vulnDb: async () => {
      if (options.vulnDbPath === undefined) return undefined;
      database ??= loadVulnDb(options.vulnDbPath);
      return database;
    },
  };
  const queue: Job[] = [];
  const queued = new Set<string>();
  let running: Promise<void> | undefined;
  let closed = false;
  let idleWaiters: Array<() => void> = [];

  async function finish(job: Job): Promise<void> {
    let outcome;
    try {
      const record = await store.tables.scans.get(jobKey(job));
      outcome = await scanImage(deps, job.scope, job.repositoryName, job.digest, record?.scanType ?? 'BASIC');
    } catch (error) {
      if (closed) return;
      options.logger?.error({ err: error, repository: job.repositoryName, digest: job.digest }, 'scan failed');
      outcome = { status: 'FAILED' as const, description: `The scan could not complete: ${error instanceof Error ? error.message : String(error)}`, findings: [], severityCounts: {} };
    }
    // Under the image lock: an image deleted while it was scanned keeps no scan record.
    await store.exclusive(imagesLock(job.scope, job.repositoryName), async () => {
      const key = jobKey(job);
      const [image, current] = await Promise.all([
        store.tables.images.get(imageKey(job.scope, job.repositoryName, job.digest)),
        store.tables.scans.get(key),
      ]);
      if (!image || !current || current.startedAt !== job.startedAt) return;
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
    running = finish(job)
      .catch((error: unknown) => {
        if (!closed) options.logger?.error({ err: error }, 'could not record a scan result');
      })
      .finally(() => {
        queued.delete(jobKey(job));
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
        const next: ScanRecord = {
          status: 'IN_PROGRESS',
          scanType,
          // Distinct per scan, so a late result of an earlier scan never lands on a newer one.
          startedAt: Math.max(now, (previous?.startedAt ?? 0) + 1),
          ...(manual ? { manualScanAt: now } : previous?.manualScanAt !== undefined ? { manualScanAt: previous.manualScanAt } : {}),
        };
        await store.write((batch) => batch.put('scans', key, next));
        return next;
      });
      enqueue({ scope, repositoryName, digest, startedAt: record.startedAt });
      return record;
    },

    onImagePushed(scope, repositoryName, image) {
      if (closed || isIndexType(image.manifestMediaType)) return;
      void (async () => {
        const repository = await store.tables.repositories.get(repositoryKey(scope, repositoryName));
        if (!repository) return;
        // Artifacts (signatures, SBOMs, Helm charts) have no filesystem: nothing to scan on push.
        const bytes = await readManifest(store, scope, repositoryName, image.digest);
        if (!bytes) return;
        const manifest = parseManifest(bytes, image.manifestMediaType);
        if (unscannableReason(manifest.mediaType, manifest.layers)) return;
        const { scanFrequency } = repositoryScanning(await readScanningConfiguration(store, scope), repository);
        if (scanFrequency === 'MANUAL') return;
        await service.start(scope, repositoryName, image.digest, { manual: false });
      })().catch((error: unknown) => {
        if (!closed) options.logger?.error({ err: error }, 'could not start a scan on push');
      });
    },

    async resume() {
      let count = 0;
      for (const [key, record] of await store.tables.scans.list('')) {
        if (record.status !== 'IN_PROGRESS') continue;
        // <account>/<region>/<repository>:<digest>: names hold no ":", digests one.
        const [path, ...digestParts] = key.split(':');
        const [accountId, region, ...name] = path.split('/');
        enqueue({ scope: { accountId, region }, repositoryName: name.join('/'), digest: digestParts.join(':'), startedAt: record.startedAt });
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
      await running;
      for (const wake of idleWaiters) wake();
      idleWaiters = [];
    },
  };
  return service;
}
