// The cell's internal API: what the control plane asks of a cell. Served by every gateway under
// /internal/v1 on its internal listener (INTERNAL_PORT, a port the router never forwards to),
// authenticated by the control plane's cell-admin credential (never a partner key). The zod schemas here are the single contract for
// both sides (cell/gateway/internal/ serves it, control-plane/ calls it through cell-client.ts).
import { z } from "zod";
import { apiVersionSchema } from "../api-versions.ts";

export const partnerSettingsInput = z
  .object({
    rate_limit: z.object({ rate: z.number().positive(), burst: z.number().int().positive() }).optional(),
    max_concurrency: z.number().int().positive().optional(),
    fee_bps: z.number().int().min(0).max(10_000).optional(),
    /** Set by enable-live only: the live connector of the partner's live-mode payments. */
    live_connector: z.string().min(1).max(64).optional(),
    api_version: apiVersionSchema.optional(),
  })
  .strict();

export const provisionPartnerRequest = z.object({
  id: z.string().regex(/^ptr_[0-9a-z]{24}$/),
  name: z.string().min(1).max(200),
  settings: partnerSettingsInput.default({}),
  /** Issue a first key of this mode (omit when the partner's rows are being moved in). */
  first_key_mode: z.enum(["test", "live"]).optional(),
});
export const provisionPartnerResponse = z.object({ partner_id: z.string(), api_key: z.string().optional() });

export const updatePartnerRequest = z
  .object({ status: z.enum(["active", "suspended"]).optional(), settings: partnerSettingsInput.optional() })
  .strict();
export const partnerStateResponse = z.object({
  partner_id: z.string(),
  name: z.string(),
  status: z.enum(["active", "suspended"]),
  settings: partnerSettingsInput.partial().passthrough(),
});

export const issueKeyRequest = z.object({ mode: z.enum(["test", "live"]) });
export const issueKeyResponse = z.object({ key_id: z.string(), api_key: z.string() });
export const revokeKeyResponse = z.object({ revoked: z.boolean() });
export const listKeysResponse = z.object({
  data: z.array(
    z.object({
      key_id: z.string(),
      mode: z.string(),
      hint: z.string(),
      created: z.number(),
      revoked: z.boolean(),
    }),
  ),
});

export const partnerTrafficResponse = z.object({
  partner_id: z.string(),
  payments_total: z.number().int(),
  payments_last_hour: z.number().int(),
  failed_last_hour: z.number().int(),
  captured_by_currency: z.record(z.string(), z.number()),
  /** The partner's webhook health in this cell. */
  webhooks: z.object({
    endpoints_enabled: z.number().int(),
    pending: z.number().int(),
    dead: z.number().int(),
    delivered_last_hour: z.number().int(),
    failed_attempts_last_hour: z.number().int(),
  }),
});

export type ProvisionPartnerRequest = z.input<typeof provisionPartnerRequest>;
export type UpdatePartnerRequest = z.infer<typeof updatePartnerRequest>;
export type PartnerState = z.infer<typeof partnerStateResponse>;
export type PartnerTraffic = z.infer<typeof partnerTrafficResponse>;

/** The move capability (move-capability.ts) sent with every export and import call. */
export { MOVE_CAPABILITY_HEADER } from "../http/protocol-headers.ts";
/** The internal API's body limit; a move's import batches are split to stay under half of it. */
export const INTERNAL_BODY_LIMIT_BYTES = 8 * 1024 * 1024;
export const IMPORT_BATCH_MAX_BYTES = INTERNAL_BODY_LIMIT_BYTES / 2;

// The move protocol (cell/gateway/internal/partner-moves.ts, control-plane/moves/).
export const healthResponse = z.object({ status: z.literal("ok"), cell_id: z.string() });
export const xidResponse = z.object({ xid: z.number().int() });
export const exportPageResponse = z.object({
  rows: z.array(z.record(z.string(), z.unknown())),
  /** The cursor of the next page (the last row's primary key), null after the last page. */
  next: z.array(z.unknown()).nullable(),
});
/** A primary key as the change log writes it: the key's values in pk order. */
const pkValue = z.array(z.unknown()).min(1).max(8);
export const importRequest = z.object({
  rows: z.array(z.record(z.string(), z.unknown())).max(5000),
  /** Keys the source's change log saw deleted: the partner's rows with them are deleted here. */
  delete_keys: z.array(pkValue).max(5000).optional(),
});
export const importResponse = z.object({ imported: z.number().int() });
export const tableChecksum = z.object({ table: z.string(), count: z.number().int(), checksum: z.string() });
export const checksumsResponse = z.object({ tables: z.array(tableChecksum) });
// The change log of a move (cell/partners/change-log.ts, change-checksums.ts).
export const changeCursorResponse = z.object({
  /** The oldest source transaction still running: a pass reads the log from it. */
  cursor: z.number().int(),
});
export const stopChangeLogResponse = z.object({ stopped: z.literal(true) });
export const changesPageResponse = z.object({
  rows: z.array(z.record(z.string(), z.unknown())),
  deleted: z.array(z.array(z.unknown())),
  /** The log position to read on from, null after the last page. */
  next: z.number().int().nullable(),
});
export const changesQuery = z.object({
  since_xid8: z.coerce.number().int().min(0),
  after_seq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});
/** Key lists in one checksums request: the engine splits larger lists (sums add up). */
export const CHECKSUM_KEYS_MAX = 50_000;
export const splitChecksumsRequest = z
  .object({
    /**
     * all: every row of the partner; changed: rows with the given keys, or without `keys` (on the
     * source) those its change log saw; unchanged (source only): rows the change log never saw.
     */
    mode: z.enum(["all", "changed", "unchanged"]),
    keys: z.record(z.string().max(64), z.array(pkValue)).optional(),
  })
  .refine((b) => Object.values(b.keys ?? {}).reduce((n, k) => n + k.length, 0) <= CHECKSUM_KEYS_MAX, {
    message: `at most ${CHECKSUM_KEYS_MAX} keys in one request`,
    path: ["keys"],
  })
  .refine((b) => !(b.mode === "unchanged" && b.keys) && !(b.mode === "all" && b.keys), {
    message: "keys go with mode 'changed' only",
    path: ["keys"],
  });
export const splitChecksum = z.object({
  table: z.string(),
  count: z.number().int(),
  h0: z.string(),
  h1: z.string(),
});
export const splitChecksumsResponse = z.object({
  tables: z.array(splitChecksum),
  /** The logged keys the sums split by (source, without `keys`), from the same snapshot. */
  keys: z.record(z.string(), z.array(z.array(z.unknown()))).optional(),
});
export const freezeResponse = z.object({
  partner_id: z.string(),
  frozen: z.boolean(),
  in_flight: z.number().int().optional(),
});
export const unfreezeRequest = z.object({ status: z.enum(["active", "suspended"]).default("active") });
export const inFlightResponse = z.object({ in_flight: z.number().int() });
export const backlogResponse = z.object({ unpublished: z.number().int(), unprocessed: z.number().int() });
export const purgeResponse = z.object({ partner_id: z.string(), deleted: z.number().int() });

export type ExportPage = z.infer<typeof exportPageResponse>;
export type TableChecksum = z.infer<typeof tableChecksum>;
export type ChangesPage = z.infer<typeof changesPageResponse>;
export type SplitChecksums = z.infer<typeof splitChecksumsResponse>;
export type SplitChecksumsRequest = z.infer<typeof splitChecksumsRequest>;

// Path and query parameters of the internal routes.
const id = z.string().min(1).max(64);
export const partnerIdParams = z.object({ id });
export const partnerKeyParams = z.object({ id, keyId: id });
export const partnerTableParams = z.object({ id, table: z.string().min(1).max(64) });
export const exportQuery = z.object({
  /** JSON array: the primary key of the last row of the previous page. */
  after: z
    .string()
    .max(4096)
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return undefined;
      try {
        const v: unknown = JSON.parse(s);
        if (Array.isArray(v)) return v as unknown[];
      } catch {}
      ctx.addIssue({ code: "custom", message: "must be a JSON array (a page's `next`)" });
      return z.NEVER;
    }),
  since_xid: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

// The cell's database role layout, as its primary sees it (cell/db/database-layout.ts).
export const databaseStandby = z.object({
  /** The standby's application_name: its Patroni member name. */
  name: z.string(),
  /** host:port the standby connects from, when Postgres shows it. */
  client_addr: z.string().nullable(),
  /** pg_stat_replication.state: startup, catchup, streaming, backup, stopping. */
  state: z.string().nullable(),
  /** async, potential, sync, quorum. */
  sync_state: z.string().nullable(),
  /** Bytes of WAL the primary has written that the standby has not replayed. */
  replay_lag_bytes: z.number().int().nullable(),
  /** Seconds between a commit on the primary and its replay on the standby (null when idle). */
  replay_lag_seconds: z.number().nullable(),
});
export const databaseLayoutResponse = z.object({
  /**
   * Whether the database is meant to have standbys: a Patroni cluster (Patroni sets cluster_name
   * to the cell id; a single-copy cell's Postgres has none).
   */
  replicated: z.boolean(),
  primary: z.object({
    /** Where the gateways' read-write connection landed (the multi-host URL picks the primary). */
    address: z.string(),
    /** The WAL timeline: a promotion starts a new one, so a change of it is a failover. */
    timeline: z.number().int().nullable(),
    in_recovery: z.boolean(),
    /** The primary's synchronous_standby_names: empty while the cell runs on one copy. */
    synchronous_standby_names: z.string(),
  }),
  standbys: z.array(databaseStandby),
  checked_at: z.string(),
});
export type DatabaseLayout = z.infer<typeof databaseLayoutResponse>;
export type DatabaseStandby = z.infer<typeof databaseStandby>;
