// Transport rules at the public edge. Live keys move real money: one sent over plain HTTP is
// refused (403 tls_required) unless the hop is on this machine (loopback) or the connection comes
// from a TLS-terminating proxy the operator trusts (ROUTER_TRUSTED_PROXIES) that says the
// partner's side was HTTPS (X-Forwarded-Proto). Test keys are not refused: local tools and
// sandboxes may speak plain HTTP. HTTPS responses carry Strict-Transport-Security.
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import ipaddr from "ipaddr.js";
import { ApiError } from "../shared/errors.ts";

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** `10.0.0.0/8,192.168.1.10,fd00::/8` → CIDRs; throws naming the bad entry. */
export function parseTrustedProxies(value: string): Cidr[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      if (ipaddr.isValidCIDR(entry)) return ipaddr.parseCIDR(entry);
      if (ipaddr.isValid(entry)) {
        const addr = ipaddr.parse(entry);
        return [addr, addr.kind() === "ipv4" ? 32 : 128] as Cidr;
      }
      throw new Error(`'${entry}' is neither an IP address nor a CIDR`);
    });
}

const liveKey = /^Bearer\s+sk_live_/i;

/** The peer as one address family: an IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d. */
function peerAddress(req: IncomingMessage): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const raw = req.socket.remoteAddress;
  if (!raw || !ipaddr.isValid(raw.replace(/%.*$/, ""))) return undefined;
  return ipaddr.process(raw.replace(/%.*$/, ""));
}

/** The proxy's own (last) X-Forwarded-Proto value: earlier ones were written by the client. */
function forwardedProto(req: IncomingMessage): string | undefined {
  const header = req.headers["x-forwarded-proto"];
  const value = Array.isArray(header) ? header.join(",") : header;
  return value?.split(",").at(-1)?.trim().toLowerCase();
}

export interface TransportSecurity {
  /** Throws 403 tls_required for a live key that did not arrive over TLS. */
  check(req: IncomingMessage): void;
}

export function createTransportSecurity(o: { trustedProxies: Cidr[] }): TransportSecurity {
  const trusted = (addr: ipaddr.IPv4 | ipaddr.IPv6) =>
    o.trustedProxies.some(([range, bits]) => addr.kind() === range.kind() && addr.match(range, bits));
  return {
    check(req) {
      const authorization = req.headers.authorization;
      if (!authorization || !liveKey.test(authorization)) return;
      if ((req.socket as TLSSocket).encrypted) return;
      const peer = peerAddress(req);
      if (peer && peer.range() === "loopback") return;
      if (peer && trusted(peer) && forwardedProto(req) === "https") return;
      throw new ApiError(
        "tls_required",
        "Live keys must be sent over HTTPS. This key travelled in clear text: roll it in the dashboard.",
      );
    },
  };
}

/** Strict-Transport-Security for every HTTPS answer (browsers ignore it over plain HTTP). */
export const hstsHeader = (maxAgeSeconds: number) => `max-age=${maxAgeSeconds}; includeSubDomains`;
