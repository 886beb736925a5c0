// The one gate every routing document passes before the router applies or saves it, whether it
// came over HTTP, over NATS or from the snapshot file: a valid control-plane signature, the
// schema, and gateways inside the allow-list. A refusal carries a reason from a closed set (the
// label of cellpay_router_routing_rejected_total).
import type { KeyObject } from "node:crypto";
import { type RoutingDocumentKind, routingSignatureValid } from "../shared/routing/routing-signature.ts";
import {
  type RoutingDelta,
  type RoutingTable,
  routingDeltaSchema,
  routingTableSchema,
} from "../shared/routing/routing-table.ts";
import type { GatewayAllowlist } from "./gateway-allowlist.ts";

export const routingRejectReasons = [
  "not_json",
  "unsigned",
  "bad_signature",
  "invalid",
  "gateway_not_allowed",
  "disagrees_with_table",
] as const;
export type RoutingRejectReason = (typeof routingRejectReasons)[number];

export class RoutingRejected extends Error {
  constructor(
    readonly reason: RoutingRejectReason,
    message: string,
  ) {
    super(message);
  }
}

/** A verified document: `raw` is what was signed (kept for the snapshot), `value` its parsed form. */
export interface Verified<T> {
  raw: unknown;
  value: T;
}

export interface RoutingVerifier {
  table(raw: unknown): Verified<RoutingTable>;
  delta(raw: unknown): Verified<RoutingDelta>;
}

export function createRoutingVerifier(opts: {
  publicKey: KeyObject;
  allowlist: GatewayAllowlist;
}): RoutingVerifier {
  const check = (kind: RoutingDocumentKind, raw: unknown) => {
    const signature = (raw as { signature?: unknown } | null)?.signature;
    if (typeof signature !== "string" || signature === "")
      throw new RoutingRejected("unsigned", `routing ${kind} carries no signature`);
    if (!routingSignatureValid(kind, raw, opts.publicKey))
      throw new RoutingRejected("bad_signature", `routing ${kind} signature does not verify`);
  };
  const gateways = (kind: RoutingDocumentKind, cells: RoutingTable["cells"] | RoutingDelta["cells"]) => {
    const refused = opts.allowlist.firstRefused(cells);
    if (refused !== undefined)
      throw new RoutingRejected(
        "gateway_not_allowed",
        `routing ${kind} names a gateway outside the allow-list: ${refused}`,
      );
  };
  return {
    table(raw) {
      check("table", raw);
      const parsed = routingTableSchema.safeParse(raw);
      if (!parsed.success)
        throw new RoutingRejected("invalid", `routing table is invalid: ${parsed.error.message}`);
      gateways("table", parsed.data.cells);
      const { signature: _s, ...value } = parsed.data;
      return { raw, value };
    },
    delta(raw) {
      check("delta", raw);
      const parsed = routingDeltaSchema.safeParse(raw);
      if (!parsed.success)
        throw new RoutingRejected("invalid", `routing delta is invalid: ${parsed.error.message}`);
      gateways("delta", parsed.data.cells);
      const { signature: _s, ...value } = parsed.data;
      return { raw, value };
    },
  };
}
