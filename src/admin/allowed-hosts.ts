// Which `Host` names the admin endpoints answer: a guard against DNS rebinding, where a web page
// makes its own name resolve to 127.0.0.1 and then calls Berth "same-origin" under that name.
// The attacker controls the name, never the Host header's value, so a short list of names that
// only the user chooses is enough.
import { isIP } from 'node:net';

export interface HostName {
  /** Lower case, without port, brackets or a trailing dot. */
  name: string;
  /** An IPv4 address, or an IPv6 one in brackets: nobody can make those resolve elsewhere. */
  ipLiteral: boolean;
}

/** Parses a Host header value (or a host[:port] given on the command line); undefined when malformed. */
export function parseHost(value: string): HostName | undefined {
  const host = value.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    const port = host.slice(end + 1);
    if (end === -1 || !/^(?::\d*)?$/.test(port)) return undefined;
    const address = host.slice(1, end);
    return isIP(address) === 6 ? { name: address, ipLiteral: true } : undefined;
  }
  // An IPv6 address without brackets is not a valid Host (its colons would read as a port).
  const [rawName, port, ...rest] = host.split(':');
  if (rest.length > 0 || (port !== undefined && !/^\d*$/.test(port))) return undefined;
  const name = rawName.endsWith('.') ? rawName.slice(0, -1) : rawName;
  if (!/^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/.test(name)) return undefined;
  return { name, ipLiteral: isIP(name) === 4 };
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The names a --registry-host template produces, as one pattern: {account} stands for any
 * 12-digit account and {region} for any region name. Undefined when the template has no name part.
 */
function registryHostPattern(template: string): RegExp | undefined {
  // The port (if any) follows the last colon outside the placeholders; names carry none.
  const withoutPort = template.trim().toLowerCase().replace(/:\d*$/, '');
  const name = withoutPort.endsWith('.') ? withoutPort.slice(0, -1) : withoutPort;
  if (name === '') return undefined;
  const pattern = escapeRegExp(name).replaceAll('\\{account\\}', '[0-9]{12}').replaceAll('\\{region\\}', '[a-z0-9-]{2,25}');
  return new RegExp(`^${pattern}$`);
}

export interface AllowedHostsOptions {
  /** The address Berth listens on (--host): a name there is one clients use. */
  boundHost: string;
  /** The --registry-host template. */
  registryHost?: string;
  /** --allowed-host / BERTH_ALLOWED_HOSTS additions. */
  allowedHosts: readonly string[];
}

/** Whether a Host header value names Berth: IP literals, loopback names, the bound host, registry host names and additions. */
export function createHostCheck(options: AllowedHostsOptions): (hostHeader: string) => boolean {
  const names = new Set<string>(['localhost']);
  for (const configured of [options.boundHost, ...options.allowedHosts]) {
    const parsed = parseHost(configured);
    if (parsed && !parsed.ipLiteral) names.add(parsed.name);
  }
  const registryPattern = options.registryHost === undefined ? undefined : registryHostPattern(options.registryHost);
  return (hostHeader) => {
    const host = parseHost(hostHeader);
    if (!host) return false;
    return (
      host.ipLiteral ||
      names.has(host.name) ||
      // RFC 6761: *.localhost is loopback, and browsers resolve it so without asking DNS.
      host.name.endsWith('.localhost') ||
      (registryPattern?.test(host.name) ?? false)
    );
  };
}
