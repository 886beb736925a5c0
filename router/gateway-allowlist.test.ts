// The gateway allow-list on its own: hostnames, IPs and CIDRs of both families, and the URL
// tricks (other schemes, credentials, IPv4-mapped IPv6) that must not slip past it.
import { describe, expect, it } from "vitest";
import { parseGatewayAllowlist } from "./gateway-allowlist.ts";

const cells = (...gateways: string[]) => ({ "cell-a": { state: "active" as const, gateways } });

describe("gateway allow-list", () => {
  const list = parseGatewayAllowlist("127.0.0.1/32, 10.20.0.0/16, fd00::/8, gw.cell-b.internal");

  it("allows http(s) gateways on listed addresses, ranges and hostnames", () => {
    expect(
      list.firstRefused(
        cells(
          "http://127.0.0.1:17100",
          "https://10.20.3.4",
          "http://[fd00::1]:8080",
          "https://GW.cell-b.internal:443",
          "http://[::ffff:10.20.0.9]:80",
        ),
      ),
    ).toBeUndefined();
    expect(list.firstRefused({ gone: null })).toBeUndefined();
  });

  it("names the first gateway outside it", () => {
    expect(list.firstRefused(cells("http://127.0.0.1:1", "http://127.0.0.2:1"))).toBe("http://127.0.0.2:1");
    expect(list.firstRefused(cells("http://10.21.0.1"))).toBe("http://10.21.0.1");
    expect(list.firstRefused(cells("http://evil.example"))).toBe("http://evil.example");
    expect(list.firstRefused(cells("http://gw.cell-b.internal.evil.example"))).toBeDefined();
  });

  it("refuses other schemes and URLs with credentials, even to an allowed host", () => {
    expect(list.firstRefused(cells("ftp://127.0.0.1"))).toBe("ftp://127.0.0.1");
    expect(list.firstRefused(cells("http://user:pw@127.0.0.1"))).toBe("http://user:pw@127.0.0.1");
  });

  it("refuses a configuration entry that is neither host, IP nor CIDR", () => {
    expect(() => parseGatewayAllowlist("127.0.0.1/32, not a host")).toThrow(/not a host/);
  });
});
