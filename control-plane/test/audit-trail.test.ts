// The audit trail against a real control plane and Postgres: every call is a row (reads and
// refusals included) with who, role, from where, request id, action, target and reason; the table
// refuses UPDATE, DELETE and TRUNCATE; concurrent calls keep one unbroken chain; the export gives
// JSON and CSV; and `npm run admin -- audit verify` names a row a superuser changed or removed
// with the triggers disabled.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestControlPlane, type TestControlPlane } from "./control-plane-harness.ts";

const run = promisify(execFile);
const cli = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

let cp: TestControlPlane;
let sql: postgres.Sql;
let dir: string;
let auditorTokenFile: string;

beforeAll(async () => {
  cp = await startTestControlPlane();
  sql = postgres(cp.postgresUrl, { max: 2, onnotice: () => {} });
  dir = await mkdtemp(join(tmpdir(), "cellpay-audit-"));
  auditorTokenFile = join(dir, "auditor-token");
  await writeFile(auditorTokenFile, `${await cp.mintToken("auditor", "erin")}\n`, { mode: 0o600 });
});
afterAll(async () => {
  await sql?.end();
  await cp?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** `npm run admin -- audit verify` as the auditor: exit code and output. */
async function verify(): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ["--import", "tsx", cli, "audit", "verify", "--token-file", auditorTokenFile],
      { env: { ...process.env, CELLPAY_ADMIN_URL: cp.url, CELLPAY_ADMIN_TOKEN: "" } },
    );
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

async function withTriggersDisabled(statement: (tx: postgres.TransactionSql) => Promise<unknown>) {
  await sql.begin(async (tx) => {
    await tx`alter table audit_log disable trigger user`;
    await statement(tx);
    await tx`alter table audit_log enable trigger user`;
  });
}

describe("audit trail", () => {
  it("records reads and refusals with actor, role, source address, request id and status", async () => {
    const read = await fetch(`${cp.url}/admin/v1/cells`, {
      headers: { authorization: `Bearer ${cp.adminToken}`, "request-id": "req_audit_probe_1" },
    });
    expect(read.status).toBe(200);
    const denied = await cp.admin("GET", "/admin/v1/audit", undefined, await cp.mintToken("viewer", "frank"));
    expect(denied.status).toBe(403);
    const rows = await sql`select * from audit_log order by id`;
    expect(rows.find((r) => r.request_id === "req_audit_probe_1")).toMatchObject({
      actor_name: "test admin",
      actor_role: "admin",
      action: "cell.list",
      target: "/admin/v1/cells",
      status: 200,
    });
    expect(rows.find((r) => r.request_id === "req_audit_probe_1")?.source_ip).toMatch(/127\.0\.0\.1/);
    expect(rows.find((r) => r.actor_name === "frank" && r.action === "audit.export")).toMatchObject({
      actor_role: "viewer",
      status: 403,
    });
  });

  it("refuses UPDATE, DELETE and TRUNCATE", async () => {
    await expect(sql`update audit_log set reason = 'x'`).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log`).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_log`).rejects.toThrow(/append-only/);
  });

  it("keeps one chain under concurrent calls, and verify says it is intact", async () => {
    const before = Number((await sql`select count(*) from audit_log`)[0]!.count);
    await Promise.all(Array.from({ length: 40 }, () => cp.admin("GET", "/admin/v1/partners")));
    const rows = await sql`select id, prev_hash, hash from audit_log order by id`;
    expect(rows.length).toBeGreaterThanOrEqual(before + 40);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    expect(new Set(rows.map((r) => r.prev_hash)).size).toBe(rows.length); // no fork: no shared parent
    const result = await verify();
    expect(result.out).toMatch(/audit trail intact: \d+ chained rows/);
    expect(result.code).toBe(0);
  });

  it("exports JSON and CSV by time range", async () => {
    const json = await cp.admin("GET", "/admin/v1/audit?format=json&limit=5");
    expect(json.status).toBe(200);
    expect(json.body.data).toHaveLength(5);
    expect(json.body.has_more).toBe(true);
    expect(json.body.data[1].prev_hash).toBe(json.body.data[0].hash);
    const future = await cp.admin("GET", "/admin/v1/audit?from=2999-01-01T00:00:00Z");
    expect(future.body.data).toEqual([]);
    const bad = await cp.admin("GET", "/admin/v1/audit?from=yesterday");
    expect(bad.status).toBe(400);
    const csv = await fetch(`${cp.url}/admin/v1/audit?format=csv`, {
      headers: { authorization: `Bearer ${cp.adminToken}` },
    });
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines[0]).toBe(
      "id,created_at,actor,actor_name,actor_role,source_ip,request_id,action,target,reason,status,before,after,prev_hash,hash",
    );
    expect(lines.length).toBeGreaterThan(40);
  });

  it("names a row a superuser changed behind the triggers, and the row after one removed", async () => {
    const [changed] =
      await sql`select id from audit_log where action = 'admin_token.create' order by id limit 1`;
    await withTriggersDisabled(
      (tx) => tx`update audit_log set reason = 'nothing to see' where id = ${changed!.id}`,
    );
    const [a, b, c] = await sql`select id from audit_log where id > ${changed!.id} + 5 order by id limit 3`;
    await withTriggersDisabled((tx) => tx`delete from audit_log where id = ${b!.id}`);
    const result = await verify();
    expect(result.code).toBe(1);
    expect(result.out).toContain(`row ${changed!.id}: its content does not match its hash`);
    expect(result.out).toContain(`row ${c!.id}: its prev_hash does not link to row ${a!.id}`);
    expect(result.out).toMatch(/audit trail tampered: 2 problem/);
  });
});
