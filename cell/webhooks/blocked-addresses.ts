// Which IP addresses a webhook may never connect to. ipaddr.js names the special-purpose ranges
// (IANA registries); everything it does not call plain "unicast" is refused, IPv6 forms that
// carry an IPv4 address are judged by that address, and a few lists below add what the library
// leaves as unicast: cloud metadata services, and IPv6 outside global unicast 2000::/3.

import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/** What a delivery may reach: public addresses only, or private ones too (local development). */
export interface AddressPolicy {
  allowPrivate: boolean;
}

export const publicOnly: AddressPolicy = { allowPrivate: false };

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];
const cidrs = (...list: string[]): Cidr[] => list.map((c) => ipaddr.parseCIDR(c));

// Instance metadata hands out cloud credentials: refused even when private targets are allowed.
const cloudMetadata = cidrs(
  "169.254.169.254/32", // AWS, GCP, Azure IMDS, OpenStack, DigitalOcean, Oracle
  "169.254.170.2/32", // AWS ECS task metadata and credentials
  "168.63.129.16/32", // Azure WireServer
  "100.100.100.200/32", // Alibaba Cloud
  "fd00:ec2::254/128", // AWS IMDS over IPv6
);

const globalUnicastV6 = cidrs("2000::/3");
// NAT64 local-use prefix (RFC 8215): where the IPv4 sits depends on the operator's prefix length,
// so it cannot be read back reliably; refused outright.
const nat64LocalUse = cidrs("64:ff9b:1::/48");
// Teredo hides the client's IPv4 (obfuscated) and relays through a server: refused outright.
const teredo = cidrs("2001::/32");

const inAny = (addr: ipaddr.IPv4 | ipaddr.IPv6, list: Cidr[]) =>
  list.some(([range, bits]) => addr.kind() === range.kind() && addr.match(range, bits));

const v4FromGroups = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);

/** The IPv4 address an IPv6 one leads to (mapped, SIIT, NAT64 well-known prefix, 6to4), if any. */
function embeddedV4(v6: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const g = v6.parts;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  const range = v6.range();
  // ::ffff:0:a.b.c.d (SIIT) and 64:ff9b::a.b.c.d (NAT64) carry the IPv4 in the last 32 bits.
  if (range === "rfc6145" || (range === "rfc6052" && !inAny(v6, nat64LocalUse)))
    return v4FromGroups(g[6]!, g[7]!);
  // 6to4 2002:AABB:CCDD::/48 tunnels to a.b.c.d = AABB:CCDD.
  if (range === "6to4") return v4FromGroups(g[1]!, g[2]!);
  return undefined;
}

/** The name of the non-public range `addr` is in, or undefined for a public address. */
function nonPublicRange(addr: ipaddr.IPv4 | ipaddr.IPv6): string | undefined {
  if (addr.kind() === "ipv4") {
    const range = addr.range();
    return range === "unicast" ? undefined : range;
  }
  const v6 = addr as ipaddr.IPv6;
  const v4 = embeddedV4(v6);
  if (v4) return nonPublicRange(v4);
  if (inAny(v6, nat64LocalUse)) return "nat64LocalUse";
  if (inAny(v6, teredo)) return "teredo";
  const range = v6.range();
  if (range !== "unicast") return range;
  // The rest of ::/8 (IPv4-compatible ::a.b.c.d and the like) and anything outside 2000::/3 is
  // not a reachable public host.
  return inAny(v6, globalUnicastV6) ? undefined : "reserved";
}

/**
 * Why `ip` may not be reached under `policy` (e.g. "loopback", "cloudMetadata"), or undefined
 * when it may. Only plain IP literals (DNS answers, URL hosts) are judged; anything else is
 * refused as unparseable rather than guessed at.
 */
export function blockedAddressReason(ip: string, policy: AddressPolicy = publicOnly): string | undefined {
  const bare = ip.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  if (isIP(bare) === 0) return "unparseable";
  const addr = ipaddr.parse(bare);
  const v4 = addr.kind() === "ipv6" ? embeddedV4(addr as ipaddr.IPv6) : undefined;
  if (inAny(addr, cloudMetadata) || (v4 && inAny(v4, cloudMetadata))) return "cloudMetadata";
  if (policy.allowPrivate) return undefined;
  return nonPublicRange(addr);
}
