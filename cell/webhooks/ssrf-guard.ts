// Keeps webhook deliveries away from the cell's own network (SSRF), for test and live keys alike.
// The check runs when the endpoint is created (the host is resolved and every answer judged) AND
// inside the DNS lookup of every delivery's connection: the socket connects only to an address
// that lookup has just judged, so a host whose answer changes between the two (DNS rebinding)
// cannot slip a private address in. Private targets are allowed only for test-mode endpoints and
// only when the operator turns WEBHOOK_ALLOW_PRIVATE_TARGETS on (local development).
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP } from "node:net";
import { type AddressPolicy, blockedAddressReason, publicOnly } from "./blocked-addresses.ts";

export type EndpointMode = "test" | "live";
export type Resolve = (host: string) => Promise<LookupAddress[]>;

export const systemResolve: Resolve = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) =>
      err ? reject(err) : resolve(addresses),
    ),
  );

/**
 * The policy for an endpoint: live endpoints always reach public addresses only, so even a
 * production cell started with the development setting by mistake cannot send live data inward.
 */
export const policyFor = (mode: EndpointMode, allowPrivateTargets: boolean): AddressPolicy =>
  mode === "test" && allowPrivateTargets ? { allowPrivate: true } : publicOnly;

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

export const isLocalName = (host: string) => {
  const h = host.replace(/\.$/, "").toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || h === "localhost.localdomain";
};

/** A lookup that takes longer than this at creation counts as not resolving (partners wait on it). */
const CREATE_RESOLVE_TIMEOUT_MS = 3000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("lookup timed out")), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Checks an endpoint URL: scheme, no credentials, and every address its host resolves to. */
export async function checkWebhookUrl(
  raw: string,
  policy: AddressPolicy,
  resolve: Resolve = systemResolve,
): Promise<UrlCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "is not a valid URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, reason: "must be http(s)" };
  if (url.username || url.password) return { ok: false, reason: "must not contain credentials" };
  // WHATWG URL parsing already turned forms like 2130706433 or 0x7f.1 into dotted IPv4.
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (isLocalName(host) && !policy.allowPrivate) {
    return { ok: false, reason: "must not target localhost" };
  }
  if (isIP(host)) {
    const why = blockedAddressReason(host, policy);
    return why ? { ok: false, reason: `must be a public address (${host} is ${why})` } : { ok: true, url };
  }
  // For a name, one answer whether it does not resolve or resolves to a refused address: the
  // reply must not tell a partner which internal names the cell's resolver knows.
  const refusedName = { ok: false as const, reason: `host '${host}' must resolve to public addresses only` };
  let addresses: string[];
  try {
    addresses = (await withTimeout(resolve(host), CREATE_RESOLVE_TIMEOUT_MS)).map((a) => a.address);
  } catch {
    return refusedName;
  }
  if (addresses.length === 0 || addresses.some((a) => blockedAddressReason(a, policy))) return refusedName;
  return { ok: true, url };
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

export type GuardedLookup = (
  hostname: string,
  options: { all?: boolean; family?: number | string },
  callback: LookupCallback,
) => void;

const refused = (message: string) => Object.assign(new Error(message), { code: "ESSRF" });

/**
 * A `lookup` for net/http(s) connections that hands the socket only addresses `policy` allows:
 * the check is on the very addresses the socket then connects to, with no second resolution.
 */
export function createGuardedLookup(policy: AddressPolicy, resolve: Resolve = systemResolve): GuardedLookup {
  return (hostname, options, callback) => {
    if (isLocalName(hostname) && !policy.allowPrivate) {
      callback(refused(`refused: ${hostname} is local`), "");
      return;
    }
    resolve(hostname).then(
      (addresses) => {
        const bad = addresses.find((a) => blockedAddressReason(a.address, policy));
        if (bad || addresses.length === 0) {
          const why = bad ? `${bad.address} is ${blockedAddressReason(bad.address, policy)}` : "no address";
          return callback(refused(`refused: ${hostname} → ${why}`), "");
        }
        if (options.all) return callback(null, addresses);
        const first = addresses[0]!;
        callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ""),
    );
  };
}
