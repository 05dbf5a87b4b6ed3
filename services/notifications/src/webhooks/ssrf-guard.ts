import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/** Where webhooks may go: by default public HTTPS addresses only. */
export interface DestinationPolicy {
  /** plain `http:` URLs (tests, a local receiver) */
  allowHttp: boolean;
  /** loopback, private, link-local, unique-local, CGNAT… addresses (tests only) */
  allowPrivate: boolean;
}

export type DestinationRefusal =
  | 'scheme_not_allowed'
  | 'credentials_in_url'
  | 'malformed_url'
  | 'address_not_allowed'
  | 'host_not_found';

export class DestinationRefusedError extends Error {
  constructor(
    readonly reason: DestinationRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'DestinationRefusedError';
  }
}

/**
 * Whether an IP address is a public unicast one. Everything else — loopback, RFC 1918 private,
 * link-local, unique-local, CGNAT, multicast, broadcast, unspecified, documentation and other
 * reserved ranges, and IPv6 forms that embed an IPv4 address (mapped, 6to4, Teredo, NAT64) —
 * is refused: an allow-list of one kind is harder to get wrong than a deny-list of many.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) {
    return false;
  }
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range() === 'unicast';
}

/** The checks that need no DNS: scheme, no user:password, a host. Returns the parsed URL. */
export function checkDestinationUrl(raw: string, policy: DestinationPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DestinationRefusedError('malformed_url', 'The URL cannot be parsed');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    throw new DestinationRefusedError('scheme_not_allowed', 'Webhook URLs must use https');
  }
  if (url.username || url.password) {
    throw new DestinationRefusedError(
      'credentials_in_url',
      'Webhook URLs may not carry a user name or password',
    );
  }
  if (!url.hostname) {
    throw new DestinationRefusedError('malformed_url', 'The URL has no host');
  }
  const literal = hostLiteral(url.hostname);
  if (literal && !policy.allowPrivate && !isPublicAddress(literal)) {
    throw new DestinationRefusedError(
      'address_not_allowed',
      'Webhook URLs may not point at loopback, private or reserved addresses',
    );
  }
  return url;
}

/** The IP address a URL's hostname is, if it is one (`[::1]` → `::1`). */
export function hostLiteral(hostname: string): string | undefined {
  const bare =
    hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return net.isIP(bare) ? bare : undefined;
}

type LookupAll = (hostname: string, options: dns.LookupAllOptions) => Promise<dns.LookupAddress[]>;

const systemLookup: LookupAll = (hostname, options) => dns.promises.lookup(hostname, options);

/**
 * Resolves a host and refuses it when any of its addresses is not public (a name that resolves
 * to both a public and a private address is a rebinding attempt as often as not).
 */
export async function resolveDestination(
  hostname: string,
  policy: DestinationPolicy,
  lookup: LookupAll = systemLookup,
): Promise<dns.LookupAddress[]> {
  const literal = hostLiteral(hostname);
  let addresses: dns.LookupAddress[];
  if (literal) {
    addresses = [{ address: literal, family: net.isIP(literal) }];
  } else {
    try {
      addresses = await lookup(hostname, { all: true, verbatim: true });
    } catch {
      throw new DestinationRefusedError(
        'host_not_found',
        `The host ${hostname} cannot be resolved`,
      );
    }
  }
  if (addresses.length === 0) {
    throw new DestinationRefusedError('host_not_found', `The host ${hostname} cannot be resolved`);
  }
  if (!policy.allowPrivate && addresses.some((a) => !isPublicAddress(a.address))) {
    throw new DestinationRefusedError(
      'address_not_allowed',
      `The host ${hostname} resolves to a loopback, private or reserved address`,
    );
  }
  return addresses;
}

/** A full check of a URL an org admin gives: syntax, then what its host resolves to now. */
export async function checkDestination(
  raw: string,
  policy: DestinationPolicy,
  lookup?: LookupAll,
): Promise<URL> {
  const url = checkDestinationUrl(raw, policy);
  await resolveDestination(url.hostname, policy, lookup);
  return url;
}

/**
 * A `lookup` for `http.request` that checks the addresses the connection will actually use, at
 * the moment it is made: a host that resolved to a public address when the endpoint was
 * registered and to 127.0.0.1 now (DNS rebinding) is refused here.
 */
export function guardedLookup(policy: DestinationPolicy, lookup: LookupAll = systemLookup) {
  return (
    hostname: string,
    options: dns.LookupOptions,
    callback: (
      err: NodeJS.ErrnoException | null,
      address: string | dns.LookupAddress[],
      family?: number,
    ) => void,
  ): void => {
    resolveDestination(hostname, policy, lookup).then(
      (addresses) => {
        const wanted =
          options.family === 4 || options.family === 6
            ? addresses.filter((a) => a.family === options.family)
            : addresses;
        if (wanted.length === 0) {
          callback(
            Object.assign(new Error(`no address of family ${options.family} for ${hostname}`), {
              code: 'ENOTFOUND',
            }),
            '',
          );
          return;
        }
        if (options.all) {
          callback(null, wanted);
        } else {
          callback(null, wanted[0]!.address, wanted[0]!.family);
        }
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, ''),
    );
  };
}
