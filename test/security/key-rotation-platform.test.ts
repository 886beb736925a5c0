// Key rotation through the operator's tools on a whole platform (two cells, a router, the control
// plane): `npm run admin -- keys …` (the real CLI process) rotates the master of every cell and a
// cell's data key, a partner with vaulted cards moves to the other cell (its data keys arrive
// sealed for the source cell's KEK and are re-sealed for the target by its next rotate-master),
// and every card token pays before and after each step.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateMasterKeyBase64 } from "../../cell/vault/envelope.ts";
import { card } from "../harness.ts";
import { type Move, type Platform, startPlatform } from "../platform-harness.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const m1 = generateMasterKeyBase64();
const m2 = generateMasterKeyBase64();
let platform: Platform;
let dir: string;
let keyringFile: string;

const writeKeyring = (active: string, keys: Record<string, string>) =>
  writeFile(keyringFile, JSON.stringify({ active, keys }), { mode: 0o600 });

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run("npx", ["tsx", "control-plane/cli/main.ts", ...args], {
    cwd: root,
    env: {
      ...process.env,
      CELLPAY_ADMIN_URL: platform.controlPlane!.url,
      CELLPAY_ADMIN_TOKEN: platform.adminToken,
    },
  });
  return stdout;
}

interface KeyStatus {
  data_keys: { id: string; state: string; master_key_id: string; sealed_for_cell: string | null }[];
  rotation: { status: string; reencrypted: number } | null;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cellpay-keyring-"));
  keyringFile = join(dir, "master-keys.json");
  await writeKeyring("m1", { m1 });
  platform = await startPlatform({
    cells: [{ id: "cell-a" }, { id: "cell-b" }],
    cellEnv: { CELLPAY_MASTER_KEY: "", CELLPAY_MASTER_KEYS_FILE: keyringFile },
  });
}, 180_000);
afterAll(async () => {
  await platform?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("keys rotation with the admin CLI, across a partner move", () => {
  it("rotate-master on every cell, rotate-data on one, a move: every card token still pays", async () => {
    const partner = await platform.onboard("Vaulted", "cell-a");
    const call = platform.partnerClient(partner.api_key);
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await call("POST", "/v1/card_tokens", { card: card("5555555555554444").card });
      expect(res.status).toBe(201);
      tokens.push(res.body.id as string);
    }
    const allPay = async () => {
      for (const token of tokens) {
        const paid = await call("POST", "/v1/payments", {
          amount: 700,
          currency: "eur",
          payment_method: { type: "card_token", token },
        });
        expect(paid.body.status).toBe("succeeded");
      }
    };

    await writeKeyring("m2", { m1, m2 });
    const master = await cli("keys", "rotate-master");
    expect(master).toMatch(/cell-a\s+m2/);
    expect(master).toMatch(/cell-b\s+m2/);
    await allPay();

    const data = await cli("keys", "rotate-data", "--cell", "cell-a", "--wait");
    expect(data).toMatch(/done: \d+\/\d+ re-encrypted/);
    const a = JSON.parse(await cli("keys", "status", "--cell", "cell-a", "--json")) as KeyStatus;
    expect(a.rotation?.status).toBe("done");
    expect(a.rotation?.reencrypted).toBeGreaterThanOrEqual(tokens.length);
    expect(a.data_keys.filter((k) => k.state === "active")).toHaveLength(1);
    expect(a.data_keys.some((k) => k.state === "retired")).toBe(true);
    await allPay();
    expect(await cli("keys", "destroy-retired", "--cell", "cell-a", "--reason", "old key retired")).toMatch(
      /destroyed:\s+dk_/,
    );
    await allPay();

    const started = await platform.admin<Move>("POST", `/admin/v1/partners/${partner.id}/move`, {
      target_cell_id: "cell-b",
      reason: "keys travel with a moved partner",
    });
    expect(started.status).toBe(202);
    expect((await platform.waitMove(started.body.id)).status).toBe("completed");
    await allPay(); // on cell-b now, with cell-a's data keys (sealed for cell-a's KEK)
    const moved = JSON.parse(await cli("keys", "status", "--cell", "cell-b", "--json")) as KeyStatus;
    expect(moved.data_keys.some((k) => k.sealed_for_cell === "cell-a")).toBe(true);

    await cli("keys", "rotate-master", "--cell", "cell-b");
    const b = JSON.parse(await cli("keys", "status", "--cell", "cell-b", "--json")) as KeyStatus;
    expect(b.data_keys.every((k) => k.sealed_for_cell === "cell-b" && k.master_key_id === "m2")).toBe(true);
    expect(b.data_keys.filter((k) => k.state === "active")).toHaveLength(1);
    await cli("keys", "rotate-data", "--cell", "cell-b", "--wait");
    await allPay();
  }, 240_000);
});
