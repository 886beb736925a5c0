// Keys that rotate (issue 15 item 8), against a real cell (Postgres, Redis, the gateway): the
// master key and the cell's data key rotate while payments and card-token payments run, every
// old and new token still pays, no ciphertext is re-encrypted twice (a trigger logs every change
// of a ciphertext), a killed rotation resumes from its cursor, one cell's sealed data keys do not
// open with another cell's KEK, and a gateway with the wrong master key refuses to start.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSimulatorAcquirer } from "../../cell/acquirer/simulator.ts";
import { createDb } from "../../cell/db/client.ts";
import { parseGatewayEnv } from "../../cell/gateway/config.ts";
import { type RunningGateway, startGateway } from "../../cell/gateway/create-gateway.ts";
import { openForCell } from "../../cell/vault/cell-kek.ts";
import {
  encryptWithDataKey,
  generateMasterKeyBase64,
  masterKeyFrom,
  newDataKey,
  sealDataKey,
} from "../../cell/vault/envelope.ts";
import { keyringSource } from "../../cell/vault/master-keyring.ts";
import { createVault } from "../../cell/vault/vault.ts";
import { createLogger } from "../../shared/logger.ts";
import { card, client, startTestCell, TEST_CELL_ADMIN_TOKEN, type TestCell } from "../harness.ts";

const m1 = generateMasterKeyBase64();
const m2 = generateMasterKeyBase64();
let dir: string;
let keyringFile: string;
let cell: TestCell;
let gateway: RunningGateway;
let admin: ReturnType<typeof createDb>;

const writeKeyring = (active: string, keys: Record<string, string>) =>
  writeFile(keyringFile, JSON.stringify({ active, keys }), { mode: 0o600 });

function gatewayEnv(extra: Record<string, string> = {}) {
  return parseGatewayEnv({
    CELLPAY_CELL_ID: "cell-test",
    PORT: "0",
    INTERNAL_PORT: "0",
    DATABASE_URL: cell.infra.postgresUrl,
    REDIS_URL: cell.infra.redisUrl,
    CELLPAY_MASTER_KEYS_FILE: keyringFile,
    LOG_LEVEL: "silent",
    ACQUIRER_TIMEOUT_MS: "300",
    CELLPAY_CELL_ADMIN_TOKEN: TEST_CELL_ADMIN_TOKEN,
    // The load and the final pay-every-token loop must not meet the per-partner rate limit.
    RATE_LIMIT_RATE: "100000",
    RATE_LIMIT_BURST: "100000",
    ...extra,
  });
}

const boot = (extra: Record<string, string> = {}) =>
  startGateway(
    gatewayEnv(extra),
    createLogger({ service: "gateway", level: "silent" }),
    createSimulatorAcquirer(),
  );

async function internal<T = Record<string, unknown>>(
  method: string,
  path: string,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${gateway.internalUrl}/internal/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_CELL_ADMIN_TOKEN}` },
  });
  return { status: res.status, body: (await res.json()) as T };
}

interface KeyStatus {
  active_master_key_id: string;
  data_keys: {
    id: string;
    state: string;
    master_key_id: string;
    sealed_for_cell: string;
    encryptions: number;
  }[];
  rotation: {
    id: string;
    status: string;
    to_key_id: string;
    reencrypted: number;
    total: number;
    passes: number;
  } | null;
}

/** A vault of the test cell, over the test's own connection (ciphertexts written in bulk). */
const cellVault = (limits: { encryptionLimit?: number; encryptionBlock?: number } = {}) =>
  createVault({
    db: admin.db,
    sql: admin.sql,
    keyring: keyringSource({ CELLPAY_MASTER_KEYS_FILE: keyringFile }),
    cellId: "cell-test",
    ...limits,
  });
const testCard = {
  pan: "4242424242424242",
  brand: "visa",
  bin: "424242",
  last4: "4242",
  expMonth: 1,
  expYear: 2035,
};

async function waitForRotation(): Promise<KeyStatus> {
  for (let i = 0; i < 600; i++) {
    const { body } = await internal<KeyStatus>("GET", "/keys");
    if (body.rotation?.status === "done") return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("data key rotation did not finish");
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cellpay-keys-"));
  keyringFile = join(dir, "master-keys.json");
  await writeKeyring("m1", { m1 });
  // The harness's own gateway holds m1 as a single key: the same key material as id "m1" here.
  cell = await startTestCell({ CELLPAY_MASTER_KEY: m1 });
  await cell.gateway.close();
  gateway = await boot();
  admin = createDb(cell.infra.postgresUrl, { max: 2 });
  // Every change of a stored ciphertext is logged: a value re-encrypted twice shows as two rows.
  await admin.sql.unsafe(`
    create table reencrypt_log (row_id text, old_key text, new_key text);
    create function log_reencrypt() returns trigger language plpgsql as $$ begin
      if new.card_ciphertext <> old.card_ciphertext then
        insert into reencrypt_log values (new.id, split_part(old.card_ciphertext, '.', 2),
          split_part(new.card_ciphertext, '.', 2));
      end if;
      return new; end $$;
    create trigger card_tokens_reencrypt after update on card_tokens
      for each row execute function log_reencrypt();`);
}, 120_000);

afterAll(async () => {
  await admin?.end();
  await gateway?.close();
  await cell?.infra.stop();
});

describe("key rotation under load", () => {
  it("rotates the master and the data key while payments run: every old and new token pays, none re-encrypted twice", async () => {
    const { apiKey } = await cell.partner("Rotation");
    const call = () => client(gateway.url, apiKey);
    const tokenize = async () => {
      const res = await call()("POST", "/v1/card_tokens", { card: card("5555555555554444").card });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const payWithToken = (token: string) =>
      call()("POST", "/v1/payments", {
        amount: 1200,
        currency: "eur",
        payment_method: { type: "card_token", token },
      });
    const oldTokens: string[] = [];
    for (let i = 0; i < 40; i++) oldTokens.push(await tokenize());
    // Bulk history under the old key (through a vault of this cell), so the re-encryption takes
    // many batches while the load runs.
    const bulk = await cellVault();
    const { partnerId: bulkPartner } = await cell.partner("Bulk history");
    await Promise.all(
      Array.from({ length: 2000 }, () =>
        bulk.tokenize({ partnerId: bulkPartner, livemode: false }, testCard),
      ),
    );
    const before = await internal<KeyStatus>("GET", "/keys");
    const oldKey = before.body.data_keys.find((k) => k.state === "active")!;
    expect(oldKey.master_key_id).toBe("m1");

    // Load: card payments, new tokens and payments by old and new tokens, until told to stop.
    const newTokens: string[] = [];
    const failures: string[] = [];
    let stop = false;
    const worker = async (n: number) => {
      for (let i = 0; !stop; i++) {
        const token = i % 2 === 0 ? await tokenize() : oldTokens[(n * 7 + i) % oldTokens.length]!;
        if (i % 2 === 0) newTokens.push(token);
        const byToken = await payWithToken(token);
        if (byToken.body.status !== "succeeded") failures.push(`token ${token}: ${byToken.status}`);
        const byCard = await call()("POST", "/v1/payments", {
          amount: 900,
          currency: "eur",
          payment_method: card(),
        });
        if (byCard.body.status !== "succeeded") failures.push(`card: ${byCard.status}`);
        if (rotating) paidDuringRotation += 2;
      }
    };
    let rotating = false;
    let paidDuringRotation = 0;
    const load = Promise.all([0, 1, 2].map(worker));
    while (newTokens.length < 5) await new Promise((r) => setTimeout(r, 20));

    await writeKeyring("m2", { m1, m2 });
    const master = await internal<{ master_key_id: string; resealed: number; total: number }>(
      "POST",
      "/keys/rotate-master",
    );
    expect(master.status).toBe(200);
    expect(master.body).toMatchObject({ master_key_id: "m2" });
    expect(master.body.resealed).toBe(master.body.total);

    rotating = true;
    const started = await internal<{ to_key_id: string; status: string }>("POST", "/keys/rotate-data");
    expect(started.status).toBe(202);
    expect(started.body.to_key_id).not.toBe(oldKey.id);
    const again = await internal<{ error: { code: string } }>("POST", "/keys/rotate-data");
    const done = await waitForRotation();
    rotating = false;
    stop = true;
    await load;
    // A second rotation while one runs is refused (unless the first was already done).
    if (again.status !== 202) expect(again.body.error.code).toBe("key_rotation_in_progress");

    console.log(
      `rotation under load: ${done.rotation!.reencrypted}/${done.rotation!.total} re-encrypted in ` +
        `${done.rotation!.passes} pass(es), ${paidDuringRotation} payments during the data-key rotation, ` +
        `${newTokens.length} tokens made under load, ${failures.length} failures`,
    );
    expect(failures).toEqual([]);
    expect(paidDuringRotation).toBeGreaterThan(0);
    for (const token of [...oldTokens, ...newTokens])
      expect((await payWithToken(token)).body).toMatchObject({ status: "succeeded" });

    const keys = new Map(done.data_keys.map((k) => [k.id, k]));
    expect(keys.get(oldKey.id)?.state).toBe("retired");
    expect(keys.get(done.rotation!.to_key_id)?.state).toBe("active");
    expect(done.data_keys.every((k) => k.master_key_id === "m2")).toBe(true);
    const refs = await admin.sql`
      select count(*)::int as n from card_tokens where split_part(card_ciphertext, '.', 2) = ${oldKey.id}`;
    expect(refs[0]!.n).toBe(0);
    const twice = await admin.sql`select row_id from reencrypt_log group by row_id having count(*) > 1`;
    expect(twice).toEqual([]);
    const logged = await admin.sql`select count(*)::int as n from reencrypt_log`;
    expect(done.rotation!.reencrypted).toBe(logged[0]!.n);
    expect(done.rotation!.reencrypted).toBeGreaterThanOrEqual(oldTokens.length + 2000);

    // Retired and referenced by nothing: destroyed; every token still pays without it.
    const destroyed = await internal<{ destroyed: string[] }>("POST", "/keys/destroy-retired");
    expect(destroyed.body.destroyed).toContain(oldKey.id);
    for (const token of oldTokens.slice(0, 10))
      expect((await payWithToken(token)).body).toMatchObject({ status: "succeeded" });
  }, 180_000);

  it("a rotation interrupted by a gateway shutdown resumes from its cursor at the next start, each row once", async () => {
    // Many ciphertexts under the current key, written straight through a vault of this cell.
    const vault = await cellVault();
    const { partnerId } = await cell.partner("Resume");
    const tokens = [];
    for (let i = 0; i < 3000; i++) {
      tokens.push(vault.tokenize({ partnerId, livemode: false }, testCard));
    }
    const made = await Promise.all(tokens);
    await admin.sql`truncate reencrypt_log`;
    const started = await internal<{ to_key_id: string }>("POST", "/keys/rotate-data");
    expect(started.status).toBe(202);
    await gateway.close(); // stops the rotation after its current batch
    const midway =
      await admin.sql`select status, cursor_id from data_key_rotations order by started_at desc limit 1`;
    expect(midway[0]!.status).toBe("running");
    gateway = await boot();
    const done = await waitForRotation();
    expect(done.rotation!.to_key_id).toBe(started.body.to_key_id);
    const twice = await admin.sql`select row_id from reencrypt_log group by row_id having count(*) > 1`;
    expect(twice).toEqual([]);
    const logged = await admin.sql`select count(*)::int as n from reencrypt_log`;
    expect(done.rotation!.reencrypted).toBe(logged[0]!.n);
    const left = await admin.sql`
      select count(*)::int as n from card_tokens where split_part(card_ciphertext, '.', 2) <> ${started.body.to_key_id}`;
    expect(left[0]!.n).toBe(0);
    for (const t of made.slice(0, 20))
      expect((await vault.detokenize({ partnerId, livemode: false }, t.id))?.pan).toBe("4242424242424242");
  }, 180_000);
});

describe("per-cell key-encryption keys and the encryption limit", () => {
  it("a cell's sealed data key opens with its own KEK, not with another cell's", async () => {
    const ring = keyringSource({ CELLPAY_MASTER_KEYS_FILE: keyringFile }).load();
    const rows = await admin.sql<{ id: string; sealed_key: string }[]>`
      select id, sealed_key from data_keys where cell_id = 'cell-test' limit 1`;
    const row = rows[0]!;
    expect(openForCell(ring, "cell-test", row.id, row.sealed_key)).toHaveLength(32);
    expect(() => openForCell(ring, "cell-other", row.id, row.sealed_key)).toThrow(/Decryption failed/);
    // Nor on another data key's row: the sealed value is bound to its key id.
    expect(() => openForCell(ring, "cell-test", "dk_other", row.sealed_key)).toThrow(/Decryption failed/);
  });

  it("a data key that reaches its encryption limit is replaced; every ciphertext still decrypts", async () => {
    const vault = await cellVault({ encryptionLimit: 10, encryptionBlock: 4 });
    const { partnerId } = await cell.partner("Limit");
    const made = [];
    for (let i = 0; i < 25; i++) {
      made.push(await vault.tokenize({ partnerId, livemode: false }, testCard));
    }
    const keys = await admin.sql<{ id: string; encryptions: number }[]>`
      select id, encryptions from data_keys where cell_id = 'cell-test' and id in (
        select split_part(card_ciphertext, '.', 2) from card_tokens where partner_id = ${partnerId})`;
    expect(keys.length).toBeGreaterThanOrEqual(3);
    expect(keys.every((k) => k.encryptions <= 10)).toBe(true);
    const used = await admin.sql<{ k: string; n: number }[]>`
      select split_part(card_ciphertext, '.', 2) as k, count(*)::int as n from card_tokens
      where partner_id = ${partnerId} group by 1`;
    expect(used.every((u) => u.n <= 10)).toBe(true);
    for (const t of made)
      expect((await vault.detokenize({ partnerId, livemode: false }, t.id))?.pan).toBe("4242424242424242");

    // A key marked retired while ciphertexts still name it is not destroyed.
    const referenced = used[0]!.k;
    await admin.sql`update data_keys set state = 'retired' where id = ${referenced}`;
    const destroyed = await internal<{ destroyed: string[]; still_referenced: string[] }>(
      "POST",
      "/keys/destroy-retired",
    );
    expect(destroyed.body.still_referenced).toContain(referenced);
    expect(destroyed.body.destroyed).not.toContain(referenced);
    for (const t of made)
      expect((await vault.detokenize({ partnerId, livemode: false }, t.id))?.pan).toBe("4242424242424242");
  });
});

describe("the start-up canary", () => {
  it("a gateway with the wrong master key, without the rotated-to key, or on another cell's database refuses to start", async () => {
    const wrong = join(dir, "wrong-m2.json");
    await writeFile(wrong, JSON.stringify({ active: "m2", keys: { m2: generateMasterKeyBase64() } }));
    await expect(boot({ CELLPAY_MASTER_KEYS_FILE: wrong })).rejects.toThrow(
      /Refusing to start: the master key check failed for cell 'cell-test': master key 'm2' does not open it/,
    );
    const onlyOld = join(dir, "only-m1.json");
    await writeFile(onlyOld, JSON.stringify({ active: "m1", keys: { m1 } }));
    await expect(boot({ CELLPAY_MASTER_KEYS_FILE: onlyOld })).rejects.toThrow(
      /sealed under master key 'm2', which is not loaded \(loaded: m1\)/,
    );
    await expect(boot({ CELLPAY_CELL_ID: "cell-elsewhere" })).rejects.toThrow(
      /wrong key material, or this database is not cell 'cell-elsewhere'/,
    );
    // The right keyring still starts.
    const ok = await boot();
    await ok.close();
  });
});

describe("data keys sealed before per-cell KEKs", () => {
  it("a legacy key (sealed by the raw master) is re-sealed for the cell at start; its cards still pay", async () => {
    const { partnerId, apiKey } = await cell.partner("Legacy");
    const key = newDataKey();
    const dkId = "dk_legacy0000000000000000";
    const tokenId = "tok_legacy000000000000000";
    await admin.sql`delete from vault_canary`; // a cell from before canaries
    await admin.sql`
      insert into data_keys (id, sealed_key, master_key_id, state)
      values (${dkId}, ${sealDataKey(masterKeyFrom(Buffer.from(m1, "base64")), key)}, 'legacy', 'decrypt_only')`;
    const secret = JSON.stringify({ pan: "5555555555554444", holder_name: null });
    await admin.sql`
      insert into card_tokens (id, partner_id, card_ciphertext, brand, bin, last4, exp_month, exp_year, fingerprint,
        livemode)
      values (${tokenId}, ${partnerId}, ${encryptWithDataKey({ id: dkId, key }, secret, `${partnerId}:${tokenId}`)},
        'mastercard', '555555', '4444', 12, 2034, 'fp_legacy', false)`;
    await gateway.close();
    gateway = await boot();
    const [row] = await admin.sql<{ sealed_key: string; cell_id: string; master_key_id: string }[]>`
      select sealed_key, cell_id, master_key_id from data_keys where id = ${dkId}`;
    expect(row).toMatchObject({ cell_id: "cell-test", master_key_id: "m2" });
    expect(row!.sealed_key.startsWith("kek1.m2.")).toBe(true);
    expect((await admin.sql`select 1 from vault_canary`).length).toBe(1);
    const paid = await client(gateway.url, apiKey)("POST", "/v1/payments", {
      amount: 500,
      currency: "eur",
      payment_method: { type: "card_token", token: tokenId },
    });
    expect(paid.body.status).toBe("succeeded");
  });
});
