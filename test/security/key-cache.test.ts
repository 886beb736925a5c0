// The Redis-cached API-key record cannot grant access by itself: records written straight into the
// cell's real Redis (forged, re-signed under another key's entry, tampered) do not authenticate,
// and a key revoked while a lookup was in flight is not written back into the cache.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../cell/db/client.ts";
import { hashApiKey } from "../../cell/partners/api-keys.ts";
import {
  createKeyLookup,
  type KeyRecord,
  keyCacheKey,
  signKeyRecord,
} from "../../cell/partners/key-lookup.ts";
import { issueApiKey, revokeApiKey } from "../../cell/partners/provision.ts";
import { deriveSubkey, KEY_CACHE_SIGNING_LABEL, masterKeyFrom } from "../../cell/vault/envelope.ts";
import { client, startTestCell, type TestCell } from "../harness.ts";

let cell: TestCell;
let redis: Redis;
let admin: ReturnType<typeof createDb>;

beforeAll(async () => {
  cell = await startTestCell();
  redis = new Redis(cell.infra.redisUrl);
  admin = createDb(cell.infra.postgresUrl, { max: 2 });
});
afterAll(async () => {
  redis?.disconnect();
  await admin?.end();
  await cell?.stop();
});

/** A key of the right shape for `partnerId` that was never issued. */
const madeUpKey = (partnerId: string, mode = "test") => `sk_${mode}_${partnerId}_${"A".repeat(32)}`;

const activeRecord = (partnerId: string): KeyRecord => ({
  keyId: "key_forged",
  partnerId,
  mode: "test",
  revoked: false,
  partnerStatus: "active",
  settings: {},
});

const signingKey = () =>
  deriveSubkey(masterKeyFrom(Buffer.from(cell.masterKey, "base64")), KEY_CACHE_SIGNING_LABEL);

describe("forged key records in Redis", () => {
  it("an unsigned record (the old cache format) for a never-issued key does not authenticate", async () => {
    const { partnerId } = await cell.partner("Forged plain");
    const key = madeUpKey(partnerId);
    await redis.set(keyCacheKey(hashApiKey(key)), JSON.stringify(activeRecord(partnerId)), "EX", 60);
    const res = await client(cell.url, key)("GET", "/v1/payments");
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe("invalid_api_key");
  });

  it("a record with a made-up signature, or a real record's signature with its content changed, does not authenticate", async () => {
    const { partnerId } = await cell.partner("Forged mac");
    const key = madeUpKey(partnerId);
    const hash = hashApiKey(key);
    const json = JSON.stringify({ r: activeRecord(partnerId), exp: Date.now() + 60_000 });
    await redis.set(keyCacheKey(hash), `${"ab".repeat(32)}.${json}`, "EX", 60);
    expect((await client(cell.url, key)("GET", "/v1/payments")).status).toBe(401);

    // A genuinely signed "unknown key" entry, edited to hold a record: the MAC no longer matches.
    const genuine = signKeyRecord(signingKey(), hash, undefined, Date.now() + 60_000);
    const edited = genuine.replace('"r":null', `"r":${JSON.stringify(activeRecord(partnerId))}`);
    expect(edited).not.toBe(genuine);
    await redis.set(keyCacheKey(hash), edited, "EX", 60);
    expect((await client(cell.url, key)("GET", "/v1/payments")).status).toBe(401);
  });

  it("a real signed record copied under another key's entry does not authenticate", async () => {
    const victim = await cell.partner("Victim");
    // The victim's own request puts its signed record in Redis.
    expect((await client(cell.url, victim.apiKey)("GET", "/v1/payments")).status).toBe(200);
    await cell.gateway.deps.redis!.ping(); // the cache write went out on this connection first
    const stolen = await redis.get(keyCacheKey(hashApiKey(victim.apiKey)));
    expect(stolen).toMatch(/^[0-9a-f]{64}\.\{/);
    const attackerKey = madeUpKey(victim.partnerId);
    await redis.set(keyCacheKey(hashApiKey(attackerKey)), stolen!, "EX", 60);
    const res = await client(cell.url, attackerKey)("GET", "/v1/payments");
    expect(res.status).toBe(401);
    // Counted and logged as a refused record (never with the record itself).
    expect(cell.gateway.deps.keys.rejectedRecords).toBeGreaterThan(0);
    const warns = cell.logLines.filter((l) => l.includes("failed verification"));
    expect(warns.length).toBeGreaterThan(0);
    for (const line of warns) expect(line).not.toContain(stolen!.slice(0, 64));
  });

  it("a record signed with the right key for the right entry does authenticate (the check can pass)", async () => {
    const { partnerId } = await cell.partner("Control");
    const key = madeUpKey(partnerId);
    const hash = hashApiKey(key);
    await redis.set(
      keyCacheKey(hash),
      signKeyRecord(signingKey(), hash, activeRecord(partnerId), Date.now() + 60_000),
      "EX",
      60,
    );
    expect((await client(cell.url, key)("GET", "/v1/payments")).status).toBe(200);
  });
});

describe("revocation racing an in-flight lookup", () => {
  /** The cell's pool, whose answers are held until `release` (the query itself runs at once). */
  function heldSql() {
    const real = cell.gateway.deps.sql;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started!: () => void;
    const queried = new Promise<void>((r) => {
      started = r;
    });
    const sql = (async (...args: Parameters<typeof real>) => {
      const rows = await real(...args);
      started();
      await gate;
      return rows;
    }) as unknown as typeof real;
    return { sql, release, queried };
  }

  const lookupWith = (sql: typeof cell.gateway.deps.sql) =>
    createKeyLookup(sql, { ttlMs: 0, redis: cell.gateway.deps.redis!, signingKey: signingKey() });

  it("without a revocation, the lookup writes its record to Redis (the write path this test stops)", async () => {
    const { partnerId } = await cell.partner("Race control");
    const { apiKey } = await issueApiKey(admin.db, partnerId, "test");
    const hash = hashApiKey(apiKey);
    const held = heldSql();
    const lookup = lookupWith(held.sql).find(hash);
    await held.queried;
    held.release();
    expect((await lookup)?.revoked).toBe(false);
    await cell.gateway.deps.redis!.ping();
    expect(await redis.get(keyCacheKey(hash))).not.toBeNull();
  });

  it("a key revoked after Postgres answered an in-flight lookup stays revoked", async () => {
    const { partnerId } = await cell.partner("Race");
    const issued = await issueApiKey(admin.db, partnerId, "test");
    const hash = hashApiKey(issued.apiKey);
    const held = heldSql();
    const lookup = lookupWith(held.sql).find(hash);
    await held.queried; // Postgres said "active"; the answer is held
    expect(await revokeApiKey(admin.db, partnerId, issued.id, cell.gateway.deps.redis)).toBe(true);
    held.release();
    expect((await lookup)?.revoked).toBe(false); // the stale answer, for that one request only
    await cell.gateway.deps.redis!.ping();
    expect(await redis.get(keyCacheKey(hash))).toBeNull();
    // Every gateway reading the shared cache now goes to Postgres and sees the revocation.
    const fresh = await lookupWith(cell.gateway.deps.sql).find(hash);
    expect(fresh?.revoked).toBe(true);
    const res = await client(cell.url, issued.apiKey)("GET", "/v1/payments");
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe("api_key_revoked");
  });
});
