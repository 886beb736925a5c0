// A partner's rows leave and enter a cell only with the control plane's move capability for that
// partner, naming the cell as the move's source (export) or target (import), unexpired and signed
// by the control plane's key: the cell-admin credential alone moves nothing. Imports refuse rows
// of another partner and a data key whose sealed value differs from the cell's; the internal API
// refuses an oversized body with 413 in the one error shape.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../cell/db/client.ts";
import { generateMasterKeyBase64 } from "../../cell/vault/envelope.ts";
import { copyPartnerRows } from "../../control-plane/moves/copy-partner.ts";
import { createCellClient } from "../../shared/cell-api/cell-client.ts";
import { INTERNAL_BODY_LIMIT_BYTES, MOVE_CAPABILITY_HEADER } from "../../shared/cell-api/contract.ts";
import { generateMoveKeyPair } from "../../shared/cell-api/move-capability.ts";
import { card, client, startTestCell, TEST_CELL_ADMIN_TOKEN, type TestCell } from "../harness.ts";
import { testMoveCapability } from "../move-capabilities.ts";

let source: TestCell;
let target: TestCell;
let mover: { partnerId: string; apiKey: string };
let other: { partnerId: string; apiKey: string };
let cardToken: string;

const SOURCE = "cell-src";
const TARGET = "cell-dst";

beforeAll(async () => {
  const masterKey = generateMasterKeyBase64(); // cells of one platform share it
  [source, target] = await Promise.all([
    startTestCell({ CELLPAY_CELL_ID: SOURCE, CELLPAY_MASTER_KEY: masterKey, KEY_CACHE_TTL_MS: "0" }),
    startTestCell({ CELLPAY_CELL_ID: TARGET, CELLPAY_MASTER_KEY: masterKey, KEY_CACHE_TTL_MS: "0" }),
  ]);
  mover = await source.partner("Mover");
  other = await target.partner("Already on the target");
  const pay = client(source.url, mover.apiKey);
  for (let i = 0; i < 3; i++) {
    const made = await pay("POST", "/v1/payments", {
      amount: 100 + i,
      currency: "EUR",
      payment_method: card(),
    });
    expect(made.status).toBe(201);
  }
  // A vaulted card, so the source holds a data key the target has not.
  const token = await pay("POST", "/v1/card_tokens", { card: card().card });
  expect(token.status).toBe(201);
  cardToken = String(token.body.id);
});
afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});

interface Answer {
  status: number;
  body: { rows?: Record<string, unknown>[]; imported?: number; error?: Record<string, string> };
}

async function internal(
  cell: TestCell,
  method: string,
  path: string,
  opts: { capability?: string; body?: string | object } = {},
): Promise<Answer> {
  const res = await fetch(`${cell.internalUrl}/internal/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TEST_CELL_ADMIN_TOKEN}`,
      ...(opts.capability ? { [MOVE_CAPABILITY_HEADER]: opts.capability } : {}),
      ...(opts.body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(opts.body === undefined
      ? {}
      : { body: typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

const exportPath = (partnerId: string, table: string) => `/partners/${partnerId}/export/${table}?limit=1000`;
const importPath = (partnerId: string, table: string) => `/partners/${partnerId}/import/${table}`;
const valid = (partnerId = mover.partnerId) =>
  testMoveCapability(partnerId, { source: SOURCE, target: TARGET });

async function exported(table: string): Promise<Record<string, unknown>[]> {
  const page = await internal(source, "GET", exportPath(mover.partnerId, table), { capability: valid() });
  expect(page.status).toBe(200);
  return page.body.rows!;
}

function expectCapabilityRefused(res: Answer) {
  expect(res.status).toBe(403);
  expect(res.body.error).toMatchObject({ type: "permission_error", code: "move_capability_required" });
  expect(res.body.error?.request_id).toMatch(/^req_/);
}

describe("export", () => {
  it("is refused with the cell-admin credential alone", async () => {
    expectCapabilityRefused(await internal(source, "GET", exportPath(mover.partnerId, "api_keys")));
    expectCapabilityRefused(await internal(source, "GET", exportPath(mover.partnerId, "data_keys")));
  });

  it("is refused with an expired capability, one for another partner, or one naming another source", async () => {
    const path = exportPath(mover.partnerId, "api_keys");
    for (const capability of [
      testMoveCapability(mover.partnerId, { source: SOURCE, target: TARGET, ttlS: -1 }),
      testMoveCapability(other.partnerId, { source: SOURCE, target: TARGET }),
      testMoveCapability(mover.partnerId, { source: TARGET, target: SOURCE }),
      // Signed by a key that is not the control plane's.
      testMoveCapability(mover.partnerId, {
        source: SOURCE,
        target: TARGET,
        signingKey: generateMoveKeyPair().signingKey,
      }),
      // A long-lived capability is refused even when signed.
      testMoveCapability(mover.partnerId, { source: SOURCE, target: TARGET, ttlS: 86_400 }),
      "not-a-capability",
      `${valid().split(".")[0]}.${Buffer.from("forged").toString("base64url")}`,
    ]) {
      expectCapabilityRefused(await internal(source, "GET", path, { capability }));
    }
  });

  it("serves the partner's rows with a capability naming this cell as the source", async () => {
    const rows = await exported("api_keys");
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.partner_id === mover.partnerId)).toBe(true);
  });
});

describe("import", () => {
  it("is refused without a capability, with an expired one, or one for another partner or target", async () => {
    const rows = await exported("api_keys");
    const path = importPath(mover.partnerId, "api_keys");
    expectCapabilityRefused(await internal(target, "POST", path, { body: { rows } }));
    for (const capability of [
      testMoveCapability(mover.partnerId, { source: SOURCE, target: TARGET, ttlS: -1 }),
      testMoveCapability(other.partnerId, { source: SOURCE, target: TARGET }),
      testMoveCapability(mover.partnerId, { source: SOURCE, target: "cell-elsewhere" }),
      // The source's capability (this cell as the source) does not import here.
      testMoveCapability(mover.partnerId, { source: TARGET, target: SOURCE }),
    ]) {
      expectCapabilityRefused(await internal(target, "POST", path, { capability, body: { rows } }));
    }
    // Nothing was written: the mover's key does not work on the target.
    expect((await client(target.url, mover.apiKey)("GET", "/v1/payments")).status).toBe(401);
  });

  it("refuses the mover's api_keys rows into another partner, even with that partner's capability", async () => {
    const rows = await exported("api_keys");
    const intoOther = await internal(target, "POST", importPath(other.partnerId, "api_keys"), {
      capability: valid(other.partnerId),
      body: { rows },
    });
    expect(intoOther.status).toBe(400);
    expect(intoOther.body.error).toMatchObject({ type: "invalid_request_error", code: "invalid_request" });
    // A row rewritten to name the other partner is refused by the capability's partner instead.
    const rewritten = rows.map((r) => ({ ...r, partner_id: other.partnerId }));
    expectCapabilityRefused(
      await internal(target, "POST", importPath(other.partnerId, "api_keys"), {
        capability: valid(),
        body: { rows: rewritten },
      }),
    );
    expect((await client(target.url, mover.apiKey)("GET", "/v1/payments")).status).toBe(401);
  });

  it("refuses another data key under an id this cell holds, and never writes over the one held", async () => {
    const [key] = await exported("data_keys");
    expect(key).toBeDefined();
    const capability = valid();
    const path = importPath(mover.partnerId, "data_keys");
    const first = await internal(target, "POST", path, { capability, body: { rows: [key] } });
    expect(first.status).toBe(200);
    // The same row again is harmless, and so is the same key sealed otherwise (as another cell's
    // KEK seals it: same key check value); it is not written over the one held.
    expect((await internal(target, "POST", path, { capability, body: { rows: [key] } })).status).toBe(200);
    const resealed = { ...key, sealed_key: `${String(key!.sealed_key).slice(0, -4)}BBBB` };
    expect((await internal(target, "POST", path, { capability, body: { rows: [resealed] } })).status).toBe(
      200,
    );
    // Another key under that id (another check value) is refused.
    const forged = {
      ...key,
      sealed_key: `${String(key!.sealed_key).slice(0, -4)}AAAA`,
      key_check: "forged-key-check-value",
    };
    const refused = await internal(target, "POST", path, { capability, body: { rows: [forged] } });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ type: "invalid_request_error", code: "data_key_conflict" });
    const db = createDb(target.infra.postgresUrl, { max: 1 });
    try {
      const held = await db.sql<{ sealed_key: string }[]>`
        select sealed_key from data_keys where id = ${String(key!.id)}`;
      expect(held[0]?.sealed_key).toBe(key!.sealed_key);
    } finally {
      await db.end();
    }
  });

  it("answers 413 payload_too_large in the error shape for a body over the limit", async () => {
    const huge = JSON.stringify({ rows: [{ id: "x".repeat(INTERNAL_BODY_LIMIT_BYTES) }] });
    const res = await internal(target, "POST", importPath(mover.partnerId, "payments"), {
      capability: valid(),
      body: huge,
    });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ type: "invalid_request_error", code: "payload_too_large" });
    expect(res.body.error?.request_id).toMatch(/^req_/);
  });

  it("refuses a purge without a capability of that partner naming this cell", async () => {
    const path = `/partners/${other.partnerId}`;
    expectCapabilityRefused(await internal(target, "DELETE", path));
    expectCapabilityRefused(await internal(target, "DELETE", path, { capability: valid() }));
    expectCapabilityRefused(
      await internal(target, "DELETE", path, {
        capability: testMoveCapability(other.partnerId, { source: SOURCE, target: "cell-elsewhere" }),
      }),
    );
    expect((await client(target.url, other.apiKey)("GET", "/v1/payments")).status).toBe(200);
  });

  it("answers bad input with a 400 in the error shape, never a 500", async () => {
    const capability = valid();
    for (const [method, path, body] of [
      ["GET", `/partners/${mover.partnerId}/export/api_keys?after=not-json`, undefined],
      ["GET", `/partners/${mover.partnerId}/export/api_keys?limit=0`, undefined],
      ["GET", `/partners/${mover.partnerId}/export/pg_authid`, undefined],
      ["POST", importPath(mover.partnerId, "payments"), "{not json"],
      ["POST", importPath(mover.partnerId, "payments"), { rows: "nope" }],
    ] as const) {
      const cell = method === "GET" ? source : target;
      const res = await internal(cell, method, path, { capability, ...(body === undefined ? {} : { body }) });
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(res.body.error?.type, path).toBe("invalid_request_error");
      expect(res.body.error?.request_id).toMatch(/^req_/);
    }
  });

  it("takes the whole partner with a valid capability: its key and card token work on the target", async () => {
    const admin = (cell: TestCell) =>
      createCellClient({ internalUrls: [cell.internalUrl], token: TEST_CELL_ADMIN_TOKEN });
    const copied = await copyPartnerRows(admin(source), admin(target), mover.partnerId, {
      capability: valid,
    });
    expect(copied).toBeGreaterThan(5);
    // As the move does after its checks: the target forgets what it cached of the partner's keys
    // (the refused calls above) and takes its traffic.
    await admin(target).activate(mover.partnerId, "active");
    const listed = await client(target.url, mover.apiKey)("GET", "/v1/payments");
    expect(listed.status).toBe(200);
    expect((listed.body.data as unknown[]).length).toBe(3);
    const byToken = await client(target.url, mover.apiKey)("POST", "/v1/payments", {
      amount: 50,
      currency: "EUR",
      payment_method: { type: "card_token", token: cardToken },
    });
    expect(byToken.body).toMatchObject({ status: "succeeded", card: { last4: "4242" } });
  });
});
