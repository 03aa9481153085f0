import type { Clock } from '../lib/clock.js';
import type { Scope } from '../lib/scope.js';
import type { OperationContext } from '../model/handlers.js';
import type { Store } from '../store/store.js';
import type { ScanService } from './scanning/scan-service.js';

/** What feature code is given; app.ts builds it once. */
export interface FeatureDeps {
  store: Store;
  clock: Clock;
  /** Host (and port) of the registry that serves `scope`, as clients should address it. */
  registryHost(scope: Scope, requestHost?: string): string;
  /**
   * Signs GetDownloadUrlForLayer's URLs (features/layers/download-url.ts); kept by the server
   * so its URLs survive a restart. Without one, a random per-process secret is used.
   */
  downloadSecret?: Buffer;
  /** Background image scans (StartImageScan, scan on push). */
  scans: ScanService;
  /** Told of every newly stored image: the scan service's scan on push. */
  onImagePushed?: ScanService['onImagePushed'];
}

/** The registry an action addresses: `registryId` when given, else the caller's own. */
export function targetScope(context: OperationContext, registryId?: string): Scope {
  return { accountId: registryId ?? context.scope.accountId, region: context.scope.region };
}
