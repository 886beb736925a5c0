// A secret key carries its partner's id (sk_test_<partner id>_<secret>), so the router can route
// without a lookup. The cell still verifies the whole key.
const keyPattern = /^Bearer\s+sk_(?:test|live)_(ptr_[0-9a-z]{24})_[A-Za-z0-9]{32}$/i;

/** The key's mode from its public prefix: the cell's rate buckets are per partner and mode. */
export function keyModeFromAuthorization(header: string): "test" | "live" {
  return /^Bearer\s+sk_live_/i.test(header) ? "live" : "test";
}

export function partnerIdFromAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return keyPattern.exec(header)?.[1];
}
