// Every table that holds a partner's rows, in the order a move copies them (parents first) and
// the reverse order a purge deletes them. `checksumExcept` lists columns that may differ between
// source and target after a faithful copy (changed by the cell's own workers, or by the move).
// `pk` is the table's primary key, the ON CONFLICT target of a copy: for a time-partitioned table
// (migration 0008) it includes the partition key.
// Rows travel whole (every column, `livemode` included), so a partner's test and live data arrive
// apart exactly as they left, and the checksums compare the mode with everything else.
export interface PartnerTable {
  table: string;
  pk: readonly string[];
  /** The column holding the partner id; null for cell-wide tables copied whole (never purged). */
  partnerColumn: string | null;
  /** Compared by count and checksum before the route flips (request-path tables). */
  verified: boolean;
  checksumExcept?: readonly string[];
}

export const partnerTables: readonly PartnerTable[] = [
  // Data keys are sealed by the platform's master key, shared by every cell: the target needs the
  // source's keys to read the partner's vaulted cards.
  { table: "data_keys", pk: ["id"], partnerColumn: null, verified: false },
  { table: "partners", pk: ["id"], partnerColumn: "id", verified: true, checksumExcept: ["status"] },
  { table: "api_keys", pk: ["id"], partnerColumn: "partner_id", verified: true },
  { table: "card_tokens", pk: ["id"], partnerColumn: "partner_id", verified: true },
  { table: "payments", pk: ["id"], partnerColumn: "partner_id", verified: true },
  { table: "refunds", pk: ["id"], partnerColumn: "partner_id", verified: true },
  {
    table: "idempotency_keys",
    pk: ["partner_id", "livemode", "key", "created_at"],
    partnerColumn: "partner_id",
    verified: true,
  },
  {
    table: "events",
    pk: ["id"],
    partnerColumn: "partner_id",
    verified: true,
    checksumExcept: ["published_at"],
  },
  { table: "webhook_endpoints", pk: ["id"], partnerColumn: "partner_id", verified: true },
  { table: "webhook_deliveries", pk: ["id", "event_id"], partnerColumn: "partner_id", verified: false },
  { table: "webhook_attempts", pk: ["delivery_id", "attempt"], partnerColumn: "partner_id", verified: false },
  { table: "ledger_entries", pk: ["transaction_id", "line"], partnerColumn: "partner_id", verified: false },
  { table: "settlements", pk: ["id"], partnerColumn: "partner_id", verified: false },
  {
    table: "settlement_items",
    pk: ["settlement_id", "kind", "object_id"],
    partnerColumn: "partner_id",
    verified: false,
  },
];

export function partnerTable(name: string): PartnerTable | undefined {
  return partnerTables.find((t) => t.table === name);
}
