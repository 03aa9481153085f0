// The vulnerability database a scan matches against: OSV records (https://ossf.github.io/osv-schema/)
// as published for the distributions, e.g. the unzipped Debian or Alpine `all.zip` exports (one
// record per *.json file, tens of thousands of them), or files holding a JSON array of records.
//
// Only what matching and findings need is kept, and raw JSON is dropped as soon as a record is
// read: the affected entries of OS ecosystems the matcher understands (Debian, Ubuntu, Alpine),
// indexed by (ecosystem, package name); ECOSYSTEM ranges with their events sorted once; of an
// enumerated `versions` list only the versions the ranges do not already cover (OSV.dev
// enumerates every version inside the ranges, hundreds for a kernel CVE, so keeping them all
// would cost hundreds of megabytes for the Debian export).
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PackageFormat } from './inventory.js';
import { rangeIncludes, sortEvents, type RangeEvent, type RangeEventKind } from './osv-ranges.js';

/** A `severity[]` entry: type CVSS_V2 / CVSS_V3 / CVSS_V4 (score is a vector) or a vendor's own, e.g. Ubuntu. */
export interface OsvSeverity {
  type: string;
  score: string;
}

export interface OsvReference {
  type?: string;
  url: string;
}

/** The parts of one OSV record that describe the vulnerability itself, shared by its affected packages. */
export interface Vulnerability {
  id: string;
  /** `aliases` then `upstream` (OSV 1.7; Debian and Alpine put the CVE there), without duplicates. */
  aliases: readonly string[];
  related: readonly string[];
  summary?: string;
  details?: string;
  references: readonly OsvReference[];
  published?: Date;
  modified?: Date;
  severity: readonly OsvSeverity[];
  /** Top-level `database_specific.severity`, e.g. GHSA's "MODERATE". */
  databaseSeverity?: string;
}

/** One `affected[]` entry of an OS ecosystem, as the matcher reads it. */
export interface AffectedPackage {
  vulnerability: Vulnerability;
  /** As written in the record, e.g. `Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.19`. */
  ecosystem: string;
  /** The package the distribution tracks: a source package on Debian/Ubuntu, an origin on Alpine. */
  name: string;
  format: PackageFormat;
  /** ECOSYSTEM ranges, each with its events in version order. */
  ranges: readonly (readonly RangeEvent[])[];
  /** Enumerated versions that none of the ranges includes (usually none). */
  versions?: ReadonlySet<string>;
  /** `affected[].severity` (OSV 1.5+ allows severity per package instead of per record). */
  severity: readonly OsvSeverity[];
  /** The distribution's own rating: Debian `ecosystem_specific.urgency`, or `database_specific.severity`. */
  vendorSeverity?: string;
}

export interface VulnDbStats {
  /** Records indexed: valid, not withdrawn, and with at least one affected package of a supported ecosystem. */
  entries: number;
  /** Files or array elements that are not valid OSV records (unparseable JSON, no id, ...). */
  skipped: number;
  /** Valid records marked withdrawn, which are not indexed. */
  withdrawn: number;
  /** The newest `modified` among the valid records read. */
  updatedAt?: Date;
}

/** OSV ecosystem (its part before the first colon) -> the package format whose versions it uses. */
const FORMAT_BY_ECOSYSTEM: Readonly<Record<string, PackageFormat>> = {
  Debian: 'dpkg',
  Ubuntu: 'dpkg',
  Alpine: 'apk',
};

export function ecosystemFormat(ecosystem: string): PackageFormat | undefined {
  const base = ecosystem.split(':', 1)[0] ?? '';
  return Object.hasOwn(FORMAT_BY_ECOSYSTEM, base) ? FORMAT_BY_ECOSYSTEM[base] : undefined;
}

export class VulnDb {
  constructor(
    private readonly index: ReadonlyMap<string, readonly AffectedPackage[]>,
    readonly stats: Readonly<VulnDbStats>,
  ) {}

  /** The affected entries recorded for a package name in one ecosystem (exact ecosystem string). */
  affected(ecosystem: string, name: string): readonly AffectedPackage[] {
    return this.index.get(indexKey(ecosystem, name)) ?? [];
  }
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function indexKey(ecosystem: string, name: string): string {
  return `${ecosystem}\u0000${name}`;
}

export type RecordOutcome = 'indexed' | 'ignored' | 'withdrawn' | 'invalid';

/** Builds a VulnDb one parsed record at a time, so callers never hold more than one raw record. */
export class VulnDbBuilder {
  private readonly index = new Map<string, AffectedPackage[]>();
  /** One copy of each repeated ecosystem / package name string. */
  private readonly interned = new Map<string, string>();
  private readonly stats: VulnDbStats = { entries: 0, skipped: 0, withdrawn: 0 };

  add(raw: unknown): RecordOutcome {
    const outcome = this.addRecord(raw);
    if (outcome === 'invalid') this.stats.skipped += 1;
    else if (outcome === 'withdrawn') this.stats.withdrawn += 1;
    else if (outcome === 'indexed') this.stats.entries += 1;
    return outcome;
  }

  /** Counts something that could not even be parsed (a file that is not JSON). */
  skip(): void {
    this.stats.skipped += 1;
  }

  build(): VulnDb {
    // Files are read concurrently, so entries arrive in no fixed order: sort them by id, so that
    // every scan with the same data lists (and breaks ties between) matches the same way.
    for (const list of this.index.values()) list.sort((a, b) => compareIds(a.vulnerability.id, b.vulnerability.id));
    return new VulnDb(this.index, { ...this.stats });
  }

  private addRecord(raw: unknown): RecordOutcome {
    if (!isObject(raw) || !nonEmptyString(raw.id) || !nonEmptyString(raw.modified)) return 'invalid';
    if (raw.affected !== undefined && !Array.isArray(raw.affected)) return 'invalid';
    const modified = parseDate(raw.modified);
    if (modified && (!this.stats.updatedAt || modified > this.stats.updatedAt)) this.stats.updatedAt = modified;
    if (raw.withdrawn !== undefined && raw.withdrawn !== null) return 'withdrawn';

    const affectedItems = (raw.affected ?? []) as unknown[];
    let vulnerability: Vulnerability | undefined;
    let indexed = false;
    for (const item of affectedItems) {
      if (!isObject(item) || !isObject(item.package)) continue;
      const { ecosystem, name } = item.package;
      if (!nonEmptyString(ecosystem) || !nonEmptyString(name)) continue;
      const format = ecosystemFormat(ecosystem);
      if (!format) continue;
      vulnerability ??= readVulnerability(raw, raw.id, modified);
      const entry = readAffected(item, vulnerability, this.intern(ecosystem), this.intern(name), format);
      if (!entry) continue;
      const key = indexKey(entry.ecosystem, entry.name);
      const list = this.index.get(key);
      if (list) list.push(entry);
      else this.index.set(key, [entry]);
      indexed = true;
    }
    return indexed ? 'indexed' : 'ignored';
  }

  private intern(value: string): string {
    const existing = this.interned.get(value);
    if (existing !== undefined) return existing;
    this.interned.set(value, value);
    return value;
  }
}

/** A database built from records already in memory (tests, or data that came some other way). */
export function createVulnDb(records: Iterable<unknown>): VulnDb {
  const builder = new VulnDbBuilder();
  for (const record of records) builder.add(record);
  return builder.build();
}

/** How many files are read and parsed at once: enough to keep the disk busy, few enough to bound memory. */
const READ_CONCURRENCY = 16;

export interface LoadOptions {
  /**
   * Bytes of files held at once (read and being parsed). The OSV exports are one small file per
   * record, but a file may hold a JSON array of a whole database: 16 of those read at once would
   * hold 16 databases. A file larger than this is read alone. Default 128 MiB.
   */
  maxBytesInFlight?: number;
  /**
   * Files larger than this are skipped (and counted as skipped) without being read. Default 512
   * MiB, about the longest string V8 can make: a larger file could not be parsed anyway, only
   * read into memory whole first.
   */
  maxFileBytes?: number;
}

/** Bytes in flight, shared by the readers: a reader waits until its file fits (or nothing else is held). */
class ByteAllowance {
  private used = 0;
  private waiters: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async acquire(bytes: number): Promise<void> {
    while (this.used > 0 && this.used + bytes > this.limit) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.used += bytes;
  }

  release(bytes: number): void {
    this.used -= bytes;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * Loads every *.json file under `path` (recursively); `path` may also be a single file. A file
 * holds one OSV record or a JSON array of them. Files that are not JSON and records that are not
 * valid OSV are skipped and counted, never fatal: one bad file must not take the scanner down.
 */
export async function loadVulnDb(path: string, options: LoadOptions = {}): Promise<VulnDb> {
  const maxFileBytes = options.maxFileBytes ?? 512 * 1024 ** 2;
  const allowance = new ByteAllowance(options.maxBytesInFlight ?? 128 * 1024 ** 2);
  const builder = new VulnDbBuilder();
  const files = (await stat(path)).isDirectory() ? await listJsonFiles(path) : [path];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++] as string;
      let size: number;
      try {
        size = (await stat(file)).size;
      } catch {
        builder.skip();
        continue;
      }
      if (size > maxFileBytes) {
        builder.skip();
        continue;
      }
      await allowance.acquire(size);
      try {
        let parsed: unknown;
        try {
          parsed = JSON.parse(await readFile(file, 'utf8'));
        } catch {
          builder.skip();
          continue;
        }
        if (Array.isArray(parsed)) for (const record of parsed) builder.add(record);
        else builder.add(parsed);
      } finally {
        allowance.release(size);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, files.length) }, worker));
  return builder.build();
}

async function listJsonFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop() as string;
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) pending.push(full);
      else if (entry.isFile() && entry.name.toLowerCase().endsWith('.json')) found.push(full);
    }
  }
  // A stable order, so that which of two duplicate records wins does not depend on the disk.
  return found.sort();
}

function readVulnerability(raw: Record<string, unknown>, id: string, modified: Date | undefined): Vulnerability {
  const aliases = [...new Set([...stringList(raw.aliases), ...stringList(raw.upstream)])].filter((alias) => alias !== id);
  const vulnerability: Vulnerability = {
    id,
    aliases,
    related: stringList(raw.related),
    references: readReferences(raw.references),
    severity: readSeverity(raw.severity),
  };
  if (nonEmptyString(raw.summary)) vulnerability.summary = raw.summary;
  if (nonEmptyString(raw.details)) vulnerability.details = raw.details;
  const published = parseDate(raw.published);
  if (published) vulnerability.published = published;
  if (modified) vulnerability.modified = modified;
  const databaseSeverity = isObject(raw.database_specific) ? raw.database_specific.severity : undefined;
  if (nonEmptyString(databaseSeverity)) vulnerability.databaseSeverity = databaseSeverity;
  return vulnerability;
}

const EVENT_KINDS: readonly RangeEventKind[] = ['introduced', 'fixed', 'last_affected', 'limit'];

function readAffected(
  item: Record<string, unknown>,
  vulnerability: Vulnerability,
  ecosystem: string,
  name: string,
  format: PackageFormat,
): AffectedPackage | undefined {
  const ranges: RangeEvent[][] = [];
  for (const range of Array.isArray(item.ranges) ? item.ranges : []) {
    // GIT ranges name commits and SEMVER ranges use another ordering: neither applies to an
    // installed distribution package.
    if (!isObject(range) || range.type !== 'ECOSYSTEM' || !Array.isArray(range.events)) continue;
    const events: RangeEvent[] = [];
    for (const event of range.events) {
      if (!isObject(event)) continue;
      const kind = EVENT_KINDS.find((candidate) => nonEmptyString(event[candidate]));
      if (kind) events.push({ kind, version: event[kind] as string });
    }
    if (events.length === 0) continue;
    // The schema requires an introduced event; some producers leave it out of "fixed only"
    // ranges, which read as affected from the first version rather than as nothing.
    if (!events.some((event) => event.kind === 'introduced')) events.unshift({ kind: 'introduced', version: '0' });
    ranges.push(sortEvents(format, events));
  }
  const uncovered = stringList(item.versions).filter(
    (version) => !ranges.some((events) => rangeIncludes(format, version, events)),
  );
  if (ranges.length === 0 && uncovered.length === 0) return undefined;

  const entry: AffectedPackage = { vulnerability, ecosystem, name, format, ranges, severity: readSeverity(item.severity) };
  if (uncovered.length > 0) entry.versions = new Set(uncovered);
  const vendorSeverity = readVendorSeverity(item);
  if (vendorSeverity) entry.vendorSeverity = vendorSeverity;
  return entry;
}

function readVendorSeverity(item: Record<string, unknown>): string | undefined {
  for (const specific of [item.ecosystem_specific, item.database_specific]) {
    if (!isObject(specific)) continue;
    if (nonEmptyString(specific.urgency)) return specific.urgency;
    if (nonEmptyString(specific.severity)) return specific.severity;
  }
  return undefined;
}

function readSeverity(value: unknown): OsvSeverity[] {
  if (!Array.isArray(value)) return [];
  const severities: OsvSeverity[] = [];
  for (const entry of value) {
    if (isObject(entry) && nonEmptyString(entry.type) && nonEmptyString(entry.score)) {
      severities.push({ type: entry.type, score: entry.score });
    }
  }
  return severities;
}

function readReferences(value: unknown): OsvReference[] {
  if (!Array.isArray(value)) return [];
  const references: OsvReference[] = [];
  for (const entry of value) {
    if (!isObject(entry) || !nonEmptyString(entry.url)) continue;
    references.push(nonEmptyString(entry.type) ? { type: entry.type, url: entry.url } : { url: entry.url });
  }
  return references;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter(nonEmptyString) : [];
}

function parseDate(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
