// Parsers for the files a scan reads: os-release(5), the dpkg status database (deb822 stanzas,
// also the per-package files of distroless images' status.d) and apk's installed database.
// They are lenient about what they do not need: malformed lines and stanzas without a name
// and version are skipped rather than failing the scan.

import type { InstalledPackage, OsIdentity } from './inventory.js';

/** os-release: `KEY=value` lines, values optionally quoted (shell-style). */
export function parseOsRelease(text: string): OsIdentity {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (match) fields.set(match[1], unquote(match[2].trim()));
  }
  const identity: OsIdentity = {
    // os-release(5): "If not set, a default of ID=linux may be used."
    id: fields.get('ID') || 'linux',
  };
  const versionId = fields.get('VERSION_ID');
  const versionCodename = fields.get('VERSION_CODENAME');
  const prettyName = fields.get('PRETTY_NAME');
  if (versionId) identity.versionId = versionId;
  if (versionCodename) identity.versionCodename = versionCodename;
  if (prettyName) identity.prettyName = prettyName;
  return identity;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    // Inside double quotes, a backslash escapes $ " \ and `.
    return value.slice(1, -1).replace(/\\([$"\\`])/g, '$1');
  }
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1);
  return value;
}

/** Stanzas separated by blank lines, each a map of lower-cased field name to value. */
function stanzas(text: string, parseLine: (line: string) => [string, string] | undefined): Array<Map<string, string>> {
  const result: Array<Map<string, string>> = [];
  let current = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (current.size > 0) result.push(current);
      current = new Map();
      continue;
    }
    const field = parseLine(line);
    if (field && !current.has(field[0])) current.set(field[0], field[1]);
  }
  if (current.size > 0) result.push(current);
  return result;
}

// dpkg's package states with the package's files on disk and configured: `installed`, and the
// two trigger states, which a package reaches only after configuration. `config-files`,
// `half-installed`, `unpacked`, `half-configured` and `not-installed` do not count.
const INSTALLED_STATES = new Set(['installed', 'triggers-awaited', 'triggers-pending']);

/** dpkg status (or one status.d file): the packages installed. */
export function parseDpkgStatus(text: string): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  const fields = stanzas(text, (line) => {
    // Continuation lines (multi-line Description, Conffiles) start with whitespace.
    if (/^\s/.test(line)) return undefined;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  });
  for (const stanza of fields) {
    const name = stanza.get('package');
    const version = stanza.get('version');
    if (!name || !version) continue;
    // status.d files of distroless images may leave Status out: they list installed packages only.
    const status = stanza.get('status');
    if (status !== undefined && !INSTALLED_STATES.has(status.split(/\s+/)[2] ?? '')) continue;
    const pkg: InstalledPackage = { format: 'dpkg', name, version };
    // dpkg omits Source when it equals Package, and its version when it equals Version.
    const source = /^(\S+)(?:\s+\(([^)]+)\))?/.exec(stanza.get('source') ?? '');
    pkg.sourceName = source ? source[1] : name;
    if (source?.[2]) pkg.sourceVersion = source[2].trim();
    const arch = stanza.get('architecture');
    if (arch) pkg.arch = arch;
    packages.push(pkg);
  }
  return packages;
}

/** apk's lib/apk/db/installed: single-letter fields (`P:name`), one stanza per package. */
export function parseApkInstalled(text: string): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  const fields = stanzas(text, (line) => (line.length >= 2 && line[1] === ':' ? [line[0], line.slice(2)] : undefined));
  for (const stanza of fields) {
    const name = stanza.get('P');
    const version = stanza.get('V');
    if (!name || !version) continue;
    // The origin is the aport (source package) that built this subpackage; secdb is keyed by it.
    const pkg: InstalledPackage = { format: 'apk', name, version, sourceName: stanza.get('o') || name };
    const arch = stanza.get('A');
    if (arch) pkg.arch = arch;
    packages.push(pkg);
  }
  return packages;
}
