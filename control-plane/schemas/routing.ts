import { z } from "@hono/zod-openapi";
import { routeCellSchema, routePartnerSchema } from "../../shared/routing/routing-table.ts";

export const RoutingTableSchema = z
  .object({
    version: z.number().int(),
    cells: z.record(z.string(), routeCellSchema),
    partners: z.record(z.string(), routePartnerSchema),
  })
  .openapi("RoutingTable");
