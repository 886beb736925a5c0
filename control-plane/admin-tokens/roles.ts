// Admin roles and what each may do. Roles are flat sets of permissions, not a ladder, with two
// rules: every role can read (`read`: the dashboard and every GET but the audit trail and the
// token list), and `admin` holds every permission. So operator and partner_manager do not
// include each other, the auditor reads the audit trail but changes nothing, and the viewer only
// watches. `bootstrap` is the configured start-up token: it holds nothing; the admin middleware
// lets it create the first `admin` token and nothing else (admin-auth.ts).
import type { AdminRoleName } from "../db/schema.ts";

export const permissions = [
  "read",
  "audit.read",
  "cells.operate", // cell state, drains, moves
  "cells.register",
  "partners.manage", // onboard, suspend/resume, limits, keys
  "tokens.manage",
  "keys.manage", // master and data key rotation (admin only: it holds every permission)
] as const;
export type Permission = (typeof permissions)[number];

export const mintableRoles = ["viewer", "operator", "partner_manager", "auditor", "admin"] as const;
export type MintableRole = (typeof mintableRoles)[number];

export const rolePermissions: Record<AdminRoleName, ReadonlySet<Permission>> = {
  viewer: new Set(["read"]),
  operator: new Set(["read", "cells.operate"]),
  partner_manager: new Set(["read", "partners.manage"]),
  auditor: new Set(["read", "audit.read"]),
  admin: new Set(permissions),
  bootstrap: new Set(),
};

export const roleHas = (role: AdminRoleName, permission: Permission) =>
  rolePermissions[role]?.has(permission) ?? false;

/** A token can only mint a role whose every permission it holds itself. */
export const canMint = (minter: AdminRoleName, role: MintableRole) =>
  [...rolePermissions[role]].every((p) => roleHas(minter, p));
