import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ScanLimits } from './features/scanning/scan-limits.js';
import type { LogLevel } from './lib/logger.js';

export interface Config {
  host: string;
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  ephemeral: boolean;
  /** Account of callers whose access key is not a 12-digit account id. */
  accountId: string;
  /** Region of callers that send no SigV4 credential scope. */
  region: string;
  /**
   * Host part of repository URIs and the token's proxy endpoint, with {account} and {region}
   * filled in. Unset: the host and port the request came in on.
   */
  registryHost?: string;
  logLevel: LogLevel;
  /** Refuse anonymous registry requests (real ECR does); by default they use the default account. */
  requireAuth: boolean;
  /** How often unreferenced blobs and abandoned uploads are collected. */
  gcIntervalMs: number;
  /** Shifts Berth's clock (seconds, may be negative): token expiry, lifecycle ages, recorded times. */
  clockOffsetSeconds: number;
  /** How often stored lifecycle policies are applied; 0 = only on POST /_berth/lifecycle/run. */
  lifecycleIntervalMs: number;
  /** Directory (or file) of OSV vulnerability records the scanner matches packages against. */
  vulnDbPath?: string;
  /** Bounds on one scan's work (features/scanning/scan-limits.ts); the defaults suit real images. */
  scanLimits?: Partial<ScanLimits>;
  /** Largest control-plane request body: UploadLayerPart carries up to 20 MiB in base64. */
  maxBodyBytes: number;
  /**
   * Host names the admin endpoints answer besides IP literals, loopback names, the bound host
   * and --registry-host names (a guard against DNS rebinding).
   */
  allowedHosts: string[];
  /** Bearer token the admin endpoints accept; once set they refuse callers without credentials. */
  adminToken?: string;
}

/** ${XDG_DATA_HOME:-~/.local/share}/berth */
export function defaultDataDir(): string {
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'berth');
}

export const DEFAULT_PORT = 5080;

export function defaultConfig(overrides: Partial<Config> = {}): Config {
  return {
    host: '127.0.0.1',
    port: DEFAULT_PORT,
    dataDir: defaultDataDir(),
    ephemeral: false,
    accountId: '000000000000',
    region: 'us-east-1',
    logLevel: 'warn',
    requireAuth: false,
    gcIntervalMs: 60 * 60 * 1000,
    clockOffsetSeconds: 0,
    lifecycleIntervalMs: 60 * 60 * 1000,
    maxBodyBytes: 32 * 1024 * 1024,
    allowedHosts: [],
    ...overrides,
  };
}
