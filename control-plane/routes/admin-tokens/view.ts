import type { AdminTokenRow } from "../../admin-tokens/admin-tokens.ts";

const seconds = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : null);

export const adminTokenView = (row: AdminTokenRow) => ({
  id: row.id,
  object: "admin_token" as const,
  name: row.name,
  role: row.role,
  created: Math.floor(row.createdAt.getTime() / 1000),
  created_by: row.createdBy,
  expires_at: seconds(row.expiresAt),
  last_used_at: seconds(row.lastUsedAt),
  revoked_at: seconds(row.revokedAt),
});
