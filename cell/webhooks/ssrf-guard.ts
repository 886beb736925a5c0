// Keeps webhook deliveries away from the cell's own network (SSRF). Live endpoints may only reach
// public addresses; the check runs when the endpoint is created AND inside the DNS lookup of every
// delivery's connection, so a host that later resolves to 127.0.0.1 (DNS rebinding) is refused
// on the very addresses the socket would use. Test-mode endpoints may target anything, so partners
// (and our tests) can point them at a local receiver.
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP } from "node:net";

export type EndpointMode = "test" | "live";
export type Resolve = (host: string) => Promise<LookupAddress[]>;

const defaultResolve: Resolve = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) =>
      err ? reject(err) : resolve(addresses),
    ),
  );

// [first address, prefix length, why it is refused]
const ipv4Blocked: [string, number, string][] = [
  ["0.0.0.0", 8, "this-network"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "carrier-grade NAT"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "IETF protocol assignments"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
];

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function ipv4Reason(n: number): string | undefined {
  for (const [base, bits, reason] of ipv4Blocked) {
    const size = 2 ** (32 - bits);
    const start = ipv4ToInt(base)!;
    if (n >= start && n < start + size) return reason;
  }
  return undefined;
}

/** The 8 16-bit groups of an IPv6 address (zone id dropped, embedded dotted IPv4 expanded). */
function ipv6Groups(ip: string): number[] | undefined {
  let text = ip.replace(/%.*$/, "").toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4ToInt(dotted[1]!);
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, dotted.index)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (s: string) => (s === "" ? [] : s.split(":").map((g) => Number.parseInt(g, 16)));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const groups = [...head, ...Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

function ipv6Reason(g: number[]): string | undefined {
  const [a, b, c, d, e, f, h, i] = g as [number, number, number, number, number, number, number, number];
  const embedded = (hi: number, lo: number) => ipv4Reason(hi * 65536 + lo);
  const zeroHead = a === 0 && b === 0 && c === 0 && d === 0;
  if (zeroHead && e === 0 && f === 0) {
    if (h === 0 && i <= 1) return i === 0 ? "unspecified" : "loopback";
    return embedded(h, i) ?? "IPv4-compatible"; // deprecated ::a.b.c.d form: never a real public host
  }
  // IPv4-mapped ::ffff:a.b.c.d and IPv4-translated ::ffff:0:a.b.c.d reach the embedded IPv4 address.
  if (zeroHead && ((e === 0 && f === 0xffff) || (e === 0xffff && f === 0))) return embedded(h, i);
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) also lead to an embedded IPv4 address.
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) return embedded(h, i);
  if (a === 0x2002) return embedded(b, c);
  if ((a & 0xfe00) === 0xfc00) return "unique local";
  if ((a & 0xffc0) === 0xfe80) return "link-local";
  if ((a & 0xffc0) === 0xfec0) return "site-local";
  if ((a & 0xff00) === 0xff00) return "multicast";
  return undefined;
}

/** Why `ip` is not a public address (e.g. "loopback"), or undefined when it is public. */
export function blockedAddressReason(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 4) return ipv4Reason(ipv4ToInt(ip)!);
  if (family === 6) {
    const groups = ipv6Groups(ip);
    return groups ? ipv6Reason(groups) : "unparseable";
  }
  return "not an IP address";
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

const isLocalName = (host: string) => {
  const h = host.replace(/\.$/, "").toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || h === "localhost.localdomain";
};

/** Checks an endpoint URL for a partner key of `mode`; for live keys, resolves and checks the host. */
export async function checkWebhookUrl(
  raw: string,
  mode: EndpointMode,
  resolve: Resolve = defaultResolve,
): Promise<UrlCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "is not a valid URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, reason: "must be http(s)" };
  if (url.username || url.password) return { ok: false, reason: "must not contain credentials" };
  if (mode === "test") return { ok: true, url };
  // WHATWG URL parsing already turned forms like 2130706433 or 0x7f.1 into dotted IPv4.
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (isLocalName(host)) return { ok: false, reason: "must not target localhost with a live key" };
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await resolve(host)).map((a) => a.address);
    } catch {
      return { ok: false, reason: `host '${host}' does not resolve` };
    }
  }
  for (const address of addresses) {
    const why = blockedAddressReason(address);
    if (why) return { ok: false, reason: `must resolve to public addresses only (${host} is ${why})` };
  }
  return { ok: true, url };
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http(s).request that refuses non-public addresses: the check happens on the
 * addresses the socket connects to, which closes the DNS-rebinding gap between check and connect.
 */
export function publicOnlyLookup(
  hostname: string,
  options: { all?: boolean; family?: number | string },
  callback: LookupCallback,
): void {
  if (isLocalName(hostname)) {
    callback(Object.assign(new Error(`refused: ${hostname} is local`), { code: "ESSRF" }), "");
    return;
  }
  dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => {
    if (err) return callback(err, "");
    const bad = addresses.find((a) => blockedAddressReason(a.address));
    if (bad || addresses.length === 0) {
      const why = bad ? `${bad.address} is ${blockedAddressReason(bad.address)}` : "no address";
      return callback(Object.assign(new Error(`refused: ${hostname} → ${why}`), { code: "ESSRF" }), "");
    }
    if (options.all) return callback(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
}
