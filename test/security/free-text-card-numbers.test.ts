// Card numbers in free text are refused before anything is stored or logged. Every free-text
// field a partner can store gets card numbers in several formats → 400 card_number_in_free_text
// naming the field. Then the cell's storage is searched for them: every text/jsonb column of
// every table, the Postgres WAL files, the JetStream store on disk (and everything else in the
// cell's data folder, and the gateway's log lines) → none. A marker sent in an allowed free-text
// field is found in the database, the WAL and JetStream: the scan can see those stores.
import { randomBytes } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ManagedProcess } from "../../platform/managed-process.ts";
import { startWorkerProcess } from "../../platform/worker-process.ts";
import { eventually } from "../events-cell.ts";
import { card, client, startTestCell, type TestCell } from "../harness.ts";

let cell: TestCell;
let sql: postgres.Sql;
let relay: ManagedProcess;
let call: ReturnType<typeof client>;
let apiKeyOfCall: string;

beforeAll(async () => {
  cell = await startTestCell();
  sql = postgres(cell.infra.postgresUrl, { max: 2, onnotice: () => {} });
  // The relay publishes the outbox to JetStream, so what the gateway stores reaches the NATS store.
  relay = await startWorkerProcess({
    name: "free-text-relay",
    entry: "cell/events/relay/main.ts",
    env: {
      CELLPAY_CELL_ID: "cell-test",
      DATABASE_URL: cell.infra.postgresUrl,
      NATS_URL: cell.infra.natsUrl,
      NATS_NKEY_SEED_FILE: cell.infra.natsUsers.relay.seedFile,
      LOG_LEVEL: "info",
      RELAY_IDLE_MS: "100",
    },
    logFile: join(cell.infra.dataDir, "logs", "relay.log"),
  });
  const { apiKey } = await cell.partner("Free text");
  apiKeyOfCall = apiKey;
  call = client(cell.url, apiKey);
}, 120_000);
afterAll(async () => {
  await relay?.stop();
  await sql?.end();
  await cell?.stop();
});

/** Luhn-valid test PANs, written the ways partners paste them. None is used to pay in this file. */
const cardNumbers = [
  "5555555555554444",
  "3782 822463 10005",
  "6011-1111-1111-1117",
  "4000 0566 5566 5556",
  "4222222222222",
  "6011000000000000001",
  "order 5105105105105100 for table 4", // inside a sentence
  "1237828224631000599999", // a PAN glued inside a 22-digit number
];
const digitsOf = (s: string) => s.replace(/\D/g, "").replace(/^.*?(\d{13,19}).*$/, "$1");
// What the scans look for: each number as plain digits and as written (without the sentence).
const needles = [
  ...new Set(cardNumbers.flatMap((n) => [n.match(/\d[\d -]*\d/)![0].trim(), digitsOf(n)])),
].filter((n) => n.replace(/\D/g, "").length >= 13);

interface FieldCase {
  field: string;
  /** The request with the free text in that field. */
  send(text: string): ReturnType<typeof call>;
}

const pay = (extra: Record<string, unknown>, method: unknown = card()) =>
  call("POST", "/v1/payments", { amount: 1000, currency: "EUR", payment_method: method, ...extra });

const fields: FieldCase[] = [
  { field: "description", send: (t) => pay({ description: t }) },
  { field: "reference", send: (t) => pay({ reference: t }) },
  { field: "metadata.order_note", send: (t) => pay({ metadata: { order_id: "6735", order_note: t } }) },
  { field: "metadata", send: (t) => pay({ metadata: { [t.slice(0, 40)]: "key holds it" } }) },
  {
    field: "payment_method.card.holder_name",
    send: (t) => pay({}, card("4242424242424242", { holder_name: t })),
  },
  { field: "payment_method.token", send: (t) => pay({}, { type: "card_token", token: t }) },
  {
    field: "card.holder_name",
    send: (t) =>
      call("POST", "/v1/card_tokens", {
        card: { number: "4242424242424242", exp_month: 12, exp_year: 2034, cvc: "123", holder_name: t },
      }),
  },
  {
    field: "description",
    send: (t) => call("POST", "/v1/webhook_endpoints", { url: "https://example.com/hooks", description: t }),
  },
  {
    field: "url",
    send: (t) =>
      call("POST", "/v1/webhook_endpoints", { url: `https://example.com/hooks?c=${encodeURI(t)}` }),
  },
  { field: "payment_id", send: (t) => call("POST", "/v1/refunds", { payment_id: t }) },
  { field: "idempotency-key", send: (t) => pay({ description: "fine" }, card()).then(() => keyed(t)) },
];

function keyed(t: string) {
  return call(
    "POST",
    "/v1/payments",
    { amount: 1000, currency: "EUR", payment_method: card() },
    {
      "idempotency-key": t,
    },
  );
}

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Which of `needles` occur in any of the files (read as bytes). */
async function foundInFiles(files: string[], needles: string[]): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  for (const file of files) {
    if ((await stat(file)).size === 0) continue;
    const bytes = await readFile(file).catch(() => undefined); // sockets, files removed meanwhile
    if (!bytes) continue;
    for (const needle of needles) {
      if (bytes.indexOf(needle) >= 0) found.set(needle, [...(found.get(needle) ?? []), file]);
    }
  }
  return found;
}

/** Which of `needles` occur in any text/jsonb column of any table (every row read). */
async function foundInDatabase(needles: string[]): Promise<Map<string, string[]>> {
  const columns = await sql<{ table_schema: string; table_name: string; column_name: string }[]>`
    select c.table_schema, c.table_name, c.column_name from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema not in ('pg_catalog', 'information_schema') and t.table_type = 'BASE TABLE'
      and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb')`;
  expect(columns.length).toBeGreaterThan(20);
  const found = new Map<string, string[]>();
  for (const { table_schema, table_name, column_name } of columns) {
    const table = `${table_schema}.${table_name}`;
    const rows = await sql<{ v: string | null }[]>`select ${sql(column_name)}::text as v from ${sql(table)}`;
    for (const { v } of rows) {
      if (v === null) continue;
      for (const needle of needles) {
        if (v.includes(needle)) found.set(needle, [...(found.get(needle) ?? []), `${table}.${column_name}`]);
      }
    }
  }
  return found;
}

/** Flushes what Postgres holds to disk and closes the current WAL segment. */
async function flushPostgres(): Promise<void> {
  await sql`checkpoint`;
  await sql`select pg_switch_wal()`;
}

const pgDir = () => join(cell.infra.dataDir, "postgres");
const walFiles = async () =>
  (await filesUnder(join(pgDir(), "pg_wal"))).filter((f) => /\/[0-9A-F]{24}$/.test(f));
const natsFiles = () => filesUnder(join(cell.infra.dataDir, "nats"));

describe("card numbers in free text", () => {
  it("every free-text field refuses card numbers in every format: 400 card_number_in_free_text naming the field", async () => {
    for (const f of fields) {
      for (const number of cardNumbers) {
        const res = await f.send(number);
        expect(res.status, `${f.field} ← ${number}`).toBe(400);
        expect(res.body.error, `${f.field} ← ${number}`).toMatchObject({
          type: "invalid_request_error",
          code: "card_number_in_free_text",
          param: f.field,
        });
        // The refusal never repeats the number.
        const text = JSON.stringify(res.body);
        for (const needle of needles) expect(text).not.toContain(needle);
      }
    }
  });

  it("a field named with a card number, and a request-id that is one, are not echoed or logged", async () => {
    const named = await call("POST", "/v1/payments", {
      amount: 1000,
      currency: "EUR",
      payment_method: card(),
      "5555555555554444": "x",
    });
    expect(named.status).toBe(400);
    expect(named.body.error?.code).toBe("card_number_in_free_text");
    expect(JSON.stringify(named.body)).not.toContain("5555555555554444");
    const res = await fetch(`${cell.url}/v1/balance`, {
      headers: { authorization: `Bearer ${apiKeyOfCall}`, "request-id": "3782822463100050000" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("request-id")).not.toContain("378282246310005");
  });

  it("the same fields take ordinary text, including digit runs that are not card numbers", async () => {
    const ok = await pay({
      description: "Order 6735, 2 items, call 0044 20 7946 0958",
      reference: "INV-2025-0001234",
      metadata: { order_id: "4242424242424241", note: "ref 123456789012" },
    });
    expect(ok.status).toBe(201);
  });

  it("nothing of them is in the database, the WAL, the JetStream store, the data folder or the logs; a marker is found in each", async () => {
    // Positive control: a marker in an allowed free-text field, stored, published and flushed.
    const marker = `FreeTextMarker${randomBytes(8).toString("hex")}`;
    const marked = await pay({ description: marker, metadata: { note: marker } });
    expect(marked.status).toBe(201);
    await eventually("the marker payment's event to be published to JetStream", async () => {
      const rows = await sql`
        select 1 from events where data->>'id' = ${String(marked.body.id)} and published_at is not null`;
      return rows.length > 0;
    });
    await flushPostgres();

    const db = await foundInDatabase([marker, ...needles]);
    expect([...(db.get(marker) ?? [])]).toEqual(
      expect.arrayContaining(["public.payments.description", "public.events.data"]),
    );
    const wal = await walFiles();
    expect(wal.length).toBeGreaterThan(0);
    const inWal = await foundInFiles(wal, [marker, ...needles]);
    expect(inWal.has(marker)).toBe(true);
    const inNats = await foundInFiles(await natsFiles(), [marker, ...needles]);
    expect(inNats.has(marker)).toBe(true);
    // Everything else the cell keeps on disk: heap files, Redis, the servers' and relay's logs.
    const everything = await foundInFiles(await filesUnder(cell.infra.dataDir), needles);

    const leaks = {
      database: Object.fromEntries([...db].filter(([n]) => n !== marker)),
      wal: Object.fromEntries([...inWal].filter(([n]) => n !== marker)),
      jetstream: Object.fromEntries([...inNats].filter(([n]) => n !== marker)),
      data_folder: Object.fromEntries(everything),
      gateway_logs: needles.filter((n) => cell.logLines.some((l) => l.includes(n))),
    };
    expect(leaks).toEqual({ database: {}, wal: {}, jetstream: {}, data_folder: {}, gateway_logs: [] });
  });
});
