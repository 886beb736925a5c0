// Failure isolation between real cells: one cell (cell-c) loses its Redis, then its NATS, then its
// Postgres (each killed by pid), then its gateway. Every request of partners on the other cells
// keeps succeeding through both routers; the broken cell's partners get what that cell can give:
// payments without Redis or NATS, then a clear 5xx/503 in the one error shape, never a hang.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { card } from "../harness.ts";
import { type OnboardedPartner, type Platform, startPlatform } from "../platform-harness.ts";

let platform: Platform;
const healthy: OnboardedPartner[] = [];
const victims: OnboardedPartner[] = [];

beforeAll(async () => {
  platform = await startPlatform({
    cells: [{ id: "cell-a" }, { id: "cell-b" }, { id: "cell-c" }],
    // A dead cell must cost its partners a fast answer: the router gives up on it quickly.
    routerEnv: { REQUEST_TIMEOUT_MS: "5000", BREAKER_THRESHOLD: "3", BREAKER_COOL_DOWN_MS: "1000" },
  });
  for (const cellId of ["cell-a", "cell-b"])
    for (let i = 0; i < 2; i++) healthy.push(await platform.onboard(`Healthy ${cellId} ${i}`, cellId));
  for (let i = 0; i < 2; i++) victims.push(await platform.onboard(`On cell-c ${i}`, "cell-c"));
});
afterAll(async () => {
  await platform?.stop();
});

interface Answer {
  status: number;
  ms: number;
  code: string | undefined;
  type: string | undefined;
}

async function pay(p: OnboardedPartner, routerIndex: number): Promise<Answer> {
  const started = performance.now();
  const res = await platform.partnerClient(p.api_key, routerIndex)("POST", "/v1/payments", {
    amount: 1000,
    currency: "EUR",
    payment_method: card(),
  });
  return {
    status: res.status,
    ms: Math.round(performance.now() - started),
    code: res.body.error?.code,
    type: res.body.error?.type,
  };
}

/** Traffic of every partner through both routers; the healthy cells' partners must all get 201. */
async function round(what: string, perPartner = 4): Promise<Answer[]> {
  const [ok, broken] = await Promise.all([
    Promise.all(healthy.flatMap((p) => Array.from({ length: perPartner }, (_, i) => pay(p, i % 2)))),
    Promise.all(victims.flatMap((p) => Array.from({ length: perPartner }, (_, i) => pay(p, i % 2)))),
  ]);
  expect(ok.filter((a) => a.status !== 201)).toEqual([]);
  const summary = new Map<string, number>();
  for (const a of broken)
    summary.set(
      `${a.status} ${a.code ?? ""}`.trim(),
      (summary.get(`${a.status} ${a.code ?? ""}`.trim()) ?? 0) + 1,
    );
  console.log(
    `${what}: other cells ${ok.length}/${ok.length} succeeded; cell-c partners got ` +
      `${[...summary].map(([k, n]) => `${n}× ${k}`).join(", ")} (slowest ${Math.max(...broken.map((a) => a.ms))} ms)`,
  );
  return broken;
}

describe("platform: a broken cell costs only its own partners", () => {
  it("all partners succeed while every cell is whole", async () => {
    const broken = await round("baseline");
    expect(broken.filter((a) => a.status !== 201)).toEqual([]);
  });

  it("with cell-c's Redis killed, its partners keep paying from Postgres alone; others are untouched", async () => {
    const redis = platform.cell("cell-c").infra.processes[1]!;
    expect(redis.signal("SIGKILL")).toBe(true);
    await redis.exited;
    const broken = await round("cell-c redis killed");
    expect(broken.filter((a) => a.status !== 201)).toEqual([]);
  });

  it("with cell-c's NATS killed too, its partners keep paying (events wait in the outbox); others are untouched", async () => {
    const nats = platform.cell("cell-c").infra.processes[2]!;
    expect(nats.signal("SIGKILL")).toBe(true);
    await nats.exited;
    const broken = await round("cell-c nats killed");
    expect(broken.filter((a) => a.status !== 201)).toEqual([]);
  });

  it("with cell-c's Postgres killed, its partners get a clear 5xx in the one error shape, not a hang", async () => {
    const pg = platform.cell("cell-c").infra.processes[0]!;
    expect(pg.signal("SIGKILL")).toBe(true);
    await pg.exited;
    const broken = await round("cell-c postgres killed");
    for (const a of broken) {
      expect(a.status).toBeGreaterThanOrEqual(500);
      expect(a.code).toBeTypeOf("string");
      expect(a.type).toBeTypeOf("string");
      // A hang would be the router's 5 s deadline or the client's own; the cell answers itself.
      expect(a.ms).toBeLessThan(5000);
    }
  });

  it("with cell-c's gateway stopped, its partners get a fast 503 cell_unavailable; others are untouched", async () => {
    await platform.cell("cell-c").gateway.close();
    const broken = await round("cell-c gateway stopped");
    for (const a of broken) {
      expect(a).toMatchObject({ status: 503, code: "cell_unavailable" });
      expect(a.ms).toBeLessThan(2000);
    }
    // The breaker keeps answering at once, and the other cells keep succeeding.
    await round("cell-c gateway stopped, again");
  });
});
