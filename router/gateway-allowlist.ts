// Where the router may send partners' requests: gateway URLs must be http(s) to a host or an
// address in the operator's allow-list (ROUTER_GATEWAY_ALLOWLIST: hostnames, IPs, CIDRs). A
// routing table or delta naming any other gateway is refused whole, signed or not: a stolen
// signing key alone still cannot send partners' keys and card numbers to an outside host.
import ipaddr from "ipaddr.js";
import type { RouteCell } from "../shared/routing/routing-table.ts";

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

export interface GatewayAllowlist {
  /** The first gateway URL that is not allowed, or undefined when all are. */
  firstRefused(cells: Record<string, RouteCell | null>): string | undefined;
}

/** `127.0.0.1/32,10.20.0.0/16,gw.cell-a.internal` → the allow-list; throws naming a bad entry. */
export function parseGatewayAllowlist(value: string): GatewayAllowlist {
  const cidrs: Cidr[] = [];
  const hosts = new Set<string>();
  for (const entry of value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (ipaddr.isValidCIDR(entry)) cidrs.push(ipaddr.parseCIDR(entry));
    else if (ipaddr.isValid(entry)) {
      const addr = ipaddr.parse(entry);
      cidrs.push([addr, addr.kind() === "ipv4" ? 32 : 128]);
    } else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(entry)) {
      hosts.add(entry.toLowerCase());
    } else {
      throw new Error(`'${entry}' is neither a hostname, an IP address nor a CIDR`);
    }
  }
  const allowed = (url: string): boolean => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return false;
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return false;
    if (parsed.username || parsed.password) return false;
    const host = parsed.hostname.replace(/^\[|\]$/g, "").toLowerCase();
    if (ipaddr.isValid(host)) {
      // One family: ::ffff:10.0.0.1 is 10.0.0.1.
      const addr = ipaddr.process(host);
      return cidrs.some(([range, bits]) => addr.kind() === range.kind() && addr.match(range, bits));
    }
    return hosts.has(host);
  };
  return {
    firstRefused(cells) {
      for (const cell of Object.values(cells)) {
        for (const url of cell?.gateways ?? []) if (!allowed(url)) return url;
      }
      return undefined;
    },
  };
}
