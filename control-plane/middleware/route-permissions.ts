// The one map from admin route to permission, audit action and whether the caller must say why.
// admin-auth.ts enforces it for every /admin/v1 route; a route missing here is refused to every
// role (and fails the role-matrix test, which walks the app's registered routes).
import type { Permission } from "../admin-tokens/roles.ts";

export interface RoutePermission {
  permission: Permission;
  /** The audit trail's name for the call. */
  action: string;
  /**
   * Destructive calls need `reason` (a non-empty string) in the JSON body; a function decides
   * from the body (a key rotation needs one only for a live key). Re-pointing a registered cell
   * is checked by the handler, which alone knows the cell's current gateways.
   */
  reason?: true | ((body: Record<string, unknown>) => boolean);
}

/** Keyed by `METHOD path` with the OpenAPI path (`{id}`), as createRoute declares it. */
export const routePermissions: Record<string, RoutePermission> = {
  "GET /admin/v1/partners": { permission: "read", action: "partner.list" },
  "POST /admin/v1/partners": { permission: "partners.manage", action: "partner.create" },
  "GET /admin/v1/partners/{id}": { permission: "read", action: "partner.retrieve" },
  "POST /admin/v1/partners/{id}/suspend": {
    permission: "partners.manage",
    action: "partner.suspend",
    reason: true,
  },
  "POST /admin/v1/partners/{id}/resume": { permission: "partners.manage", action: "partner.resume" },
  "GET /admin/v1/partners/{id}/keys": { permission: "read", action: "partner.list_keys" },
  "POST /admin/v1/partners/{id}/keys": {
    permission: "partners.manage",
    action: "partner.rotate_key",
    reason: (body) => body.mode === "live",
  },
  "POST /admin/v1/partners/{id}/enable-live": {
    permission: "partners.manage",
    action: "partner.enable_live",
    reason: true,
  },
  "PUT /admin/v1/partners/{id}/limits": { permission: "partners.manage", action: "partner.set_limits" },
  "PUT /admin/v1/partners/{id}/api-version": {
    permission: "partners.manage",
    action: "partner.set_api_version",
  },
  "POST /admin/v1/partners/{id}/move": { permission: "cells.operate", action: "partner.move", reason: true },
  "GET /admin/v1/cells": { permission: "read", action: "cell.list" },
  "POST /admin/v1/cells": { permission: "cells.register", action: "cell.register" },
  "GET /admin/v1/cells/{id}": { permission: "read", action: "cell.retrieve" },
  "GET /admin/v1/cells/{id}/backups": { permission: "read", action: "cell.backups" },
  "GET /admin/v1/backups": { permission: "read", action: "backup.list" },
  "PUT /admin/v1/cells/{id}/state": { permission: "cells.operate", action: "cell.set_state", reason: true },
  "POST /admin/v1/cells/{id}/failover": {
    permission: "cells.operate",
    action: "cell.failover",
    reason: true,
  },
  "POST /admin/v1/cells/{id}/drain": { permission: "cells.operate", action: "cell.drain", reason: true },
  "POST /admin/v1/cells/{id}/events/redrive": {
    permission: "cells.operate",
    action: "cell.redrive_events",
    reason: true,
  },
  "GET /admin/v1/drains/{id}": { permission: "read", action: "drain.retrieve" },
  // Keys (control-plane/keys/cell-keys.ts). Rotation creates and re-seals; only destroying
  // retired keys removes key material, so only it needs a reason.
  "GET /admin/v1/cells/{id}/keys": { permission: "read", action: "keys.status" },
  "POST /admin/v1/keys/rotate-master": { permission: "keys.manage", action: "keys.rotate_master" },
  "POST /admin/v1/cells/{id}/keys/rotate-data": { permission: "keys.manage", action: "keys.rotate_data" },
  "POST /admin/v1/cells/{id}/keys/destroy-retired": {
    permission: "keys.manage",
    action: "keys.destroy_retired",
    reason: true,
  },
  "GET /admin/v1/moves/{id}": { permission: "read", action: "move.retrieve" },
  "GET /admin/v1/routing-table": { permission: "read", action: "routing_table.retrieve" },
  "GET /admin/v1/alerts": { permission: "read", action: "alert.list" },
  "GET /admin/v1/audit-log": { permission: "audit.read", action: "audit.list" },
  "GET /admin/v1/audit": { permission: "audit.read", action: "audit.export" },
  "GET /admin/v1/admin-tokens": { permission: "tokens.manage", action: "admin_token.list" },
  "POST /admin/v1/admin-tokens": { permission: "tokens.manage", action: "admin_token.create" },
  "DELETE /admin/v1/admin-tokens/{id}": { permission: "tokens.manage", action: "admin_token.revoke" },
};

/** Under /admin/v1 but before the gate (app.ts registers them first): no token needed. */
export const publicAdminRoutes = new Set(["GET /admin/v1/openapi.json"]);

/** Hono's `/a/:id` as the map's `/a/{id}`. */
export const routeKey = (method: string, honoPath: string) =>
  `${method.toUpperCase()} ${honoPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`;
