import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { ValidationError } from '@/common/errors/app-error';

/**
 * Addresses a tenant-supplied URL may not reach: loopback, private, link-local (cloud metadata lives there),
 * carrier-grade NAT, multicast and reserved ranges, for IPv4 and IPv6.
 */
function privateRanges(): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const) {
    list.addSubnet(net, prefix, 'ipv4');
  }
  for (const [net, prefix] of [
    ['::', 128],
    ['::1', 128],
    ['fc00::', 7],
    ['fe80::', 10],
    ['ff00::', 8],
    ['64:ff9b::', 96],
  ] as const) {
    list.addSubnet(net, prefix, 'ipv6');
  }
  return list;
}

export class OutboundBlockedError extends Error {
  readonly code = 'OUTBOUND_BLOCKED';
}

/** Checks a tenant URL as it is stored, answering a 400 that names the field. */
export function assertAllowedUrl(guard: OutboundGuard, field: string, url: string | null | undefined): void {
  if (!url) return;
  try {
    guard.checkUrl(url);
  } catch (err) {
    throw new ValidationError(`${field}: ${err instanceof Error ? err.message : 'is not allowed'}`, 'URL_NOT_ALLOWED');
  }
}

/**
 * The SSRF guard for every URL a tenant gives the gateway to call (webhook targets, media the gateway fetches):
 * http(s) only, and the address actually connected to (after DNS resolution, on every redirect) must not be private
 * unless the operator's WEBHOOK_ALLOWED_HOSTS names the host, the IP or a CIDR around it.
 */
export class OutboundGuard {
  private readonly blocked = privateRanges();
  private readonly allowedHosts = new Set<string>();
  private readonly allowedNets = new BlockList();

  constructor(allowList: string) {
    for (const entry of allowList
      .split(',')
      .map((e) => e.trim().toLowerCase())
      .filter(Boolean)) {
      const [address, prefix] = entry.split('/');
      const family = isIP(address ?? '');
      if (family && prefix !== undefined)
        this.allowedNets.addSubnet(address!, Number(prefix), family === 6 ? 'ipv6' : 'ipv4');
      else if (family) this.allowedNets.addAddress(address!, family === 6 ? 'ipv6' : 'ipv4');
      else this.allowedHosts.add(entry);
    }
  }

  /** Protocol and literal-address check, for validating a URL when it is stored. */
  checkUrl(raw: string): void {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new OutboundBlockedError('not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new OutboundBlockedError('only http and https URLs are allowed');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !this.allowedHost(host) && this.isPrivate(host)) {
      throw new OutboundBlockedError(`${host} is a private, loopback or link-local address`);
    }
  }

  /** A `lookup` for http(s).Agent: the connection goes only to addresses this check passed. */
  readonly lookup = (
    hostname: string,
    options: object,
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses;
      const refused = this.allowedHost(hostname)
        ? []
        : list.filter((a) => this.isPrivate(a.address) && !this.allowedAddress(a.address));
      if (refused.length > 0) {
        return callback(
          new OutboundBlockedError(
            `${hostname} resolves to a private, loopback or link-local address (${refused[0]!.address})`,
          ),
          [],
        );
      }
      const all = (options as { all?: boolean }).all === true;
      if (all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(new Error(`${hostname} has no address`), []);
      return callback(null, first.address, first.family);
    });
  };

  private allowedHost(hostname: string): boolean {
    const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
    return this.allowedHosts.has(host) || (isIP(host) !== 0 && this.allowedAddress(host));
  }

  private allowedAddress(address: string): boolean {
    return this.allowedNets.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  }

  private isPrivate(address: string): boolean {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return this.blocked.check(mapped[1]!, 'ipv4');
    return this.blocked.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  }
}
