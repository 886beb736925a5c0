import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import {
  listSettlements,
  type SettlementItemView,
  type SettlementRow,
} from "../../../db/queries/settlements.ts";
import type { AppEnv } from "../../app-env.ts";
import { errorResponses } from "../../schemas/common.ts";
import {
  ListSettlementsQuerySchema,
  type SettlementBody,
  SettlementListSchema,
} from "../../schemas/settlement.ts";

export const listSettlementsRoute = createRoute({
  method: "get",
  path: "/v1/settlements",
  tags: ["Settlements"],
  summary: "List settlements, newest first",
  description:
    "One settlement per currency and UTC day. Cursor pagination with `starting_after` and `has_more`.",
  security: [{ bearer: [] }],
  request: { query: ListSettlementsQuerySchema },
  responses: {
    200: {
      description: "A page of settlements",
      content: { "application/json": { schema: SettlementListSchema } },
    },
    ...errorResponses,
  },
});

const unixSeconds = (d: Date) => Math.floor(d.getTime() / 1000);

export function settlementView(s: SettlementRow, items?: SettlementItemView[]): SettlementBody {
  return {
    id: s.id,
    object: "settlement",
    livemode: s.livemode,
    // Test money never moved: a test-mode batch is shown as computed but is never paid out.
    payable: s.livemode,
    currency: s.currency,
    day: s.day,
    status: s.status,
    gross_amount: s.gross_amount,
    refunded_amount: s.refunded_amount,
    fee_amount: s.fee_amount,
    net_amount: s.net_amount,
    payment_count: s.payment_count,
    refund_count: s.refund_count,
    created: unixSeconds(s.created_at),
    ...(items
      ? {
          items: items.map((i) => ({
            kind: i.kind,
            object_id: i.object_id,
            amount: i.amount,
            fee: i.fee,
            created: unixSeconds(i.created_at),
          })),
        }
      : {}),
  };
}

export function registerListSettlements(app: OpenAPIHono<AppEnv>) {
  app.openapi(listSettlementsRoute, async (c) => {
    const q = c.req.valid("query");
    const rows = await listSettlements(c.get("deps").sql, c.get("partner").scope, {
      limit: q.limit,
      startingAfter: q.starting_after,
    });
    const page = rows.slice(0, q.limit).map((s) => settlementView(s));
    return c.json({ object: "list" as const, data: page, has_more: rows.length > q.limit }, 200);
  });
}
