// OSV affected-range evaluation (https://ossf.github.io/osv-schema/#evaluation), shared by the
// loader (which sorts events once and drops enumerated versions the ranges already cover) and the
// matcher. Versions compare with the distribution's own ordering (dpkg or apk).
import type { PackageFormat } from './inventory.js';
import { compareVersions } from './versions/index.js';

export type RangeEventKind = 'introduced' | 'fixed' | 'last_affected' | 'limit';

export interface RangeEvent {
  kind: RangeEventKind;
  version: string;
}

/** "introduced": "0" means "from the very first version"; "limit": "*" means "no limit". */
const EARLIEST = '0';
const UNLIMITED = '*';

/** Compares two versions, or says it cannot (a malformed version in the data, or in an image). */
export function tryCompare(format: PackageFormat, a: string, b: string): number | undefined {
  try {
    const result = compareVersions(format, a, b);
    return Number.isNaN(result) ? undefined : result;
  } catch {
    return undefined;
  }
}

function eventOrder(format: PackageFormat, a: RangeEvent, b: RangeEvent): number {
  const aEarliest = a.kind === 'introduced' && a.version === EARLIEST;
  const bEarliest = b.kind === 'introduced' && b.version === EARLIEST;
  if (aEarliest || bEarliest) return aEarliest === bEarliest ? 0 : aEarliest ? -1 : 1;
  const aUnlimited = a.kind === 'limit' && a.version === UNLIMITED;
  const bUnlimited = b.kind === 'limit' && b.version === UNLIMITED;
  if (aUnlimited || bUnlimited) return aUnlimited === bUnlimited ? 0 : aUnlimited ? 1 : -1;
  return tryCompare(format, a.version, b.version) ?? 0;
}

/**
 * The spec evaluates a range's events in version order; producers usually write them in order,
 * but nothing requires it. Array.prototype.sort is stable, so events at one version keep the
 * order they were written in.
 */
export function sortEvents(format: PackageFormat, events: RangeEvent[]): RangeEvent[] {
  return [...events].sort((a, b) => eventOrder(format, a, b));
}

/**
 * Whether `version` lies in the range whose events are already sorted (sortEvents): the last
 * introduced/fixed/last_affected event at or below the version decides, and when the range has
 * limits the version must also be below one of them. A bound that cannot be compared counts
 * against the version (an introduced is reached, a fixed or last_affected is not passed, a limit
 * is not reached): when in doubt a package is reported, never silently passed as clean.
 */
export function rangeIncludes(format: PackageFormat, version: string, sortedEvents: readonly RangeEvent[]): boolean {
  let affected = false;
  let hasLimit = false;
  let belowALimit = false;
  for (const event of sortedEvents) {
    switch (event.kind) {
      case 'introduced':
        if (event.version === EARLIEST || (tryCompare(format, version, event.version) ?? 0) >= 0) affected = true;
        break;
      case 'fixed':
        if ((tryCompare(format, version, event.version) ?? -1) >= 0) affected = false;
        break;
      case 'last_affected':
        if ((tryCompare(format, version, event.version) ?? -1) > 0) affected = false;
        break;
      case 'limit':
        hasLimit = true;
        if (event.version === UNLIMITED || (tryCompare(format, version, event.version) ?? -1) < 0) belowALimit = true;
        break;
    }
  }
  return affected && (!hasLimit || belowALimit);
}

/** The fix for `version` in a range: the first `fixed` event above it (events sorted). */
export function fixedAbove(format: PackageFormat, version: string, sortedEvents: readonly RangeEvent[]): string | undefined {
  for (const event of sortedEvents) {
    if (event.kind === 'fixed' && (tryCompare(format, event.version, version) ?? -1) > 0) return event.version;
  }
  return undefined;
}
