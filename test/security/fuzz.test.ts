// Property-based fuzzing of every public route of a real cell (Postgres, Redis, NATS, gateway,
// and the event relay and processor, so events, webhook deliveries and settlements exist),
// over real HTTP: query strings, path ids, Idempotency-Key and JSON bodies from fast-check,
// mixing well-shaped and hostile values. The property: no answer is a 5xx (a tenant must never be
// able to make the cell fail), and every 4xx is the one error shape. The routes come from the
// published OpenAPI document, so a new route is fuzzed as soon as it is documented.
//
// Seeded and reproducible: FUZZ_SEED=<n> replays a run, FUZZ_CASES=<n> changes the number of
// requests (default 10,000), FUZZ_SHRINK=1 lets fast-check shrink a failing batch.
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ManagedProcess } from "../../platform/managed-process.ts";
import { startWorkerProcess } from "../../platform/worker-process.ts";
import { errorCodes } from "../../shared/errors.ts";
import { card, client, startTestCell, type TestCell } from "../harness.ts";
import {
  bodyFor,
  type FuzzCase,
  headersFor,
  idFor,
  type Operation,
  oneBadBodyFor,
  queryFor,
} from "./fuzz-requests.ts";
import type { Fixtures, JsonSchema } from "./fuzz-values.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const TOTAL = Number(process.env.FUZZ_CASES ?? 10_000);
const BATCH = 8; // requests in flight at once: modest, for a 2-core machine
const SHRINK = process.env.FUZZ_SHRINK === "1";

interface SpecOperation {
  parameters?: { name: string; in: string; schema?: JsonSchema }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}
interface Spec {
  paths: Record<string, Record<string, SpecOperation>>;
  components: { schemas: Record<string, JsonSchema> };
}

let cell: TestCell;
const workers: ManagedProcess[] = [];
let apiKey: string;
let spec: Spec;
let operations: Operation[];
const fixtures: Fixtures = { ids: {} };

beforeAll(async () => {
  // A rate limit far above what the fuzzer sends: 429s would hide the answers under test.
  cell = await startTestCell({ RATE_LIMIT_RATE: "1000000", RATE_LIMIT_BURST: "1000000" });
  const workerEnv = {
    CELLPAY_CELL_ID: "cell-test",
    DATABASE_URL: cell.infra.postgresUrl,
    NATS_URL: cell.infra.natsUrl,
    CELLPAY_MASTER_KEY: cell.masterKey,
    LOG_LEVEL: "warn",
  };
  for (const kind of ["relay", "processors"] as const) {
    workers.push(
      await startWorkerProcess({
        name: `fuzz-${kind}`,
        entry: `cell/events/${kind}/main.ts`,
        // Each worker with its own NATS credential (platform/nats-credentials.ts).
        env: {
          ...workerEnv,
          NATS_NKEY_SEED_FILE: cell.infra.natsUsers[kind === "relay" ? "relay" : "processor"].seedFile,
        },
        logFile: join(cell.infra.dataDir, "logs", `fuzz-${kind}.log`),
      }),
    );
  }
  ({ apiKey } = await cell.partner("Fuzzer"));
  const bystander = await cell.partner("Bystander");
  await makeFixtures(client(cell.url, apiKey), client(cell.url, bystander.apiKey));
  spec = (await (await fetch(`${cell.url}/v1/openapi.json`)).json()) as Spec;
  operations = operationsOf(spec);
  console.log(
    `fuzz: seed ${SEED} (FUZZ_SEED to replay), ${TOTAL} requests over ${operations.length} operations`,
  );
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await cell?.stop();
});

/** Real objects, so some fuzzed ids and bodies reach the handlers and the database. */
async function makeFixtures(call: ReturnType<typeof client>, other: ReturnType<typeof client>) {
  const ids: Record<string, string[]> = {};
  const add = (kind: string, id: unknown) => {
    if (typeof id === "string") ids[kind] = [...(ids[kind] ?? []), id];
  };
  // May be refused where the SSRF guard covers test mode too; the fuzzer then uses made-up ids.
  // First, so that the payments' events fan out to it as deliveries (failing: nothing listens).
  add(
    "webhook_endpoints",
    (await call("POST", "/v1/webhook_endpoints", { url: "http://127.0.0.1:9/hook" })).body.id,
  );
  for (const [number, capture_method] of [
    ["4242424242424242", "automatic"],
    ["5555555555554444", "automatic"],
    ["4242424242424242", "manual"],
    ["4242424242424242", "manual"],
    ["4000000000000002", "automatic"],
  ] as const) {
    const res = await call("POST", "/v1/payments", {
      amount: 5000,
      currency: "eur",
      capture_method,
      payment_method: card(number),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    add("payments", res.body.id);
  }
  const theirs = await other("POST", "/v1/payments", {
    amount: 100,
    currency: "eur",
    payment_method: card(),
  });
  add("payments", theirs.body.id);
  add("refunds", (await call("POST", "/v1/refunds", { payment_id: ids.payments?.[0], amount: 100 })).body.id);
  add("card_tokens", (await call("POST", "/v1/card_tokens", card())).body.id);
  // Events, webhook deliveries (with attempts) and settlements come from the event pipeline.
  const listed = async (kind: string) =>
    ((await call("GET", `/v1/${kind}?limit=5`)).body.data as { id: string }[] | undefined) ?? [];
  const pipelineKinds = ["events", "webhook_deliveries", "settlements"];
  for (let tries = 0; tries < 60; tries++) {
    const lists = await Promise.all(pipelineKinds.map(listed));
    if (lists.every((l) => l.length > 0) || tries === 59) {
      lists.forEach((l, i) => {
        for (const item of l) add(pipelineKinds[i] ?? "", item.id);
      });
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  for (const kind of Object.keys(ids)) ids[kind]?.push(`${kind.slice(0, 3)}_0mh1x2y3z4abcdefghijklmn`);
  fixtures.ids = ids;
}

function operationsOf(doc: Spec): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith("/v1/") || path === "/v1/openapi.json") continue;
    for (const [method, op] of Object.entries(item)) {
      const params = op.parameters ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        query: params.filter((p) => p.in === "query").map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        idempotent: params.some((p) => p.in === "header" && p.name === "idempotency-key"),
        body: op.requestBody?.content?.["application/json"]?.schema,
      });
    }
  }
  return ops;
}

function caseFor(op: Operation): fc.Arbitrary<FuzzCase> {
  const resource = op.path.split("/")[2] ?? "";
  const takesBody = op.method !== "GET" && op.method !== "HEAD";
  const anything = fc.record({
    id: idFor(resource, fixtures),
    query: queryFor(op, fixtures),
    headers: takesBody ? headersFor(op) : fc.constant({}),
    body: takesBody ? bodyFor(op, spec.components.schemas, fixtures) : fc.constant(undefined),
  });
  // A request that gets all the way to the handler and the database but for one value in the
  // body: what breaks there hides behind the edge's checks in the cases above.
  const real = fixtures.ids[resource] ?? [];
  const focused = fc.record({
    id: real.length > 0 ? fc.constantFrom(...real) : idFor(resource, fixtures),
    query: fc.constant(""),
    headers: fc.option(fc.uuid(), { nil: undefined }).map(
      (key): Record<string, string> => ({
        "content-type": "application/json",
        ...(key && op.idempotent ? { "idempotency-key": key } : {}),
      }),
    ),
    body: takesBody ? oneBadBodyFor(op, spec.components.schemas, fixtures) : fc.constant(undefined),
  });
  return fc
    .oneof({ arbitrary: anything, weight: 2 }, { arbitrary: focused, weight: op.body ? 1 : 0 })
    .map(({ id, query, headers, body }) => ({
      operation: `${op.method} ${op.path}`,
      method: op.method,
      path: op.path.replace("{id}", id),
      query,
      headers,
      body,
    }));
}

const statuses = new Map<number, number>();
/** Per operation, how many answers were 2xx: a fuzzer that never gets through tests little. */
const through = new Map<string, [number, number]>();
let sent = 0;

/** Sends one case; returns why it breaks the property, or undefined. */
async function check(fuzz: FuzzCase): Promise<string | undefined> {
  const url = `${cell.url}${fuzz.path}${fuzz.query ? `?${fuzz.query}` : ""}`;
  const res = await fetch(url, {
    method: fuzz.method,
    headers: { authorization: `Bearer ${apiKey}`, ...fuzz.headers },
    ...(fuzz.body === undefined ? {} : { body: fuzz.body }),
  });
  const text = await res.text();
  sent++;
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  const [ok, all] = through.get(fuzz.operation) ?? [0, 0];
  through.set(fuzz.operation, [ok + (res.status < 300 ? 1 : 0), all + 1]);
  if (res.status >= 500) return `answered ${res.status}: ${text.slice(0, 300)}`;
  if (res.status < 400) return undefined;
  let error: Record<string, unknown> | undefined;
  try {
    error = (JSON.parse(text) as { error?: Record<string, unknown> }).error;
  } catch {
    return `a ${res.status} that is not JSON: ${text.slice(0, 200)}`;
  }
  const shaped =
    error !== undefined &&
    typeof error.type === "string" &&
    typeof error.code === "string" &&
    (errorCodes as string[]).includes(error.code) &&
    typeof error.message === "string" &&
    error.message.length > 0 &&
    typeof error.request_id === "string" &&
    // A replay (same Idempotency-Key and body) is the first answer, naming the first request.
    (error.request_id === res.headers.get("request-id") ||
      (res.headers.get("idempotent-replayed") === "true" && /^req_/.test(error.request_id))) &&
    (error.param === undefined || typeof error.param === "string");
  return shaped ? undefined : `a ${res.status} not in the one error shape: ${text.slice(0, 300)}`;
}

function describeCase(fuzz: FuzzCase): string {
  const body = fuzz.body === undefined ? "" : ` body ${JSON.stringify(fuzz.body.slice(0, 400))}`;
  // JSON-quoted: a raw NUL or control character in the query shows as an escape.
  const query = JSON.stringify(fuzz.query.slice(0, 300));
  return `${fuzz.method} ${fuzz.path.slice(0, 200)} query ${query} headers ${JSON.stringify(fuzz.headers).slice(0, 200)}${body}`;
}

describe("fuzzing every public route (query, path id, headers, body)", () => {
  it("finds the documented public routes to fuzz", () => {
    expect(operations.length).toBeGreaterThanOrEqual(20);
    expect(operations.filter((o) => o.body).length).toBeGreaterThanOrEqual(5);
  });

  it(`no answer is a 5xx, and every 4xx is in the one error shape (seed ${SEED})`, async () => {
    const started = performance.now();
    const runsPerOp = Math.ceil(TOTAL / operations.length / BATCH);
    const failures: string[] = [];
    for (const [index, op] of operations.entries()) {
      let found = "";
      const property = fc.asyncProperty(
        fc.array(caseFor(op), { minLength: BATCH, maxLength: BATCH }),
        async (batch) => {
          const verdicts = await Promise.all(batch.map(check));
          const bad = verdicts.findIndex((v) => v !== undefined);
          if (bad < 0) return;
          found = `${verdicts[bad]}\n  for ${describeCase(batch[bad]!)}`;
          throw new Error(found);
        },
      );
      try {
        await fc.assert(property, { seed: SEED + index, numRuns: runsPerOp, endOnFailure: !SHRINK });
      } catch (err) {
        // fast-check's first line says how to replay it ({ seed, path }); ours says what failed.
        const replay = String((err as Error).message)
          .split("\n")
          .slice(0, 2)
          .join(" ");
        failures.push(`${op.method} ${op.path}: ${found}\n  replay: ${replay}`);
      }
    }
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    const histogram = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
    console.log(`fuzz: ${sent} requests in ${seconds} s; statuses ${histogram.join(" ")}`);
    console.log(
      `fuzz: 2xx per operation: ${[...through].map(([op, [ok, all]]) => `${op} ${ok}/${all}`).join(", ")}`,
    );
    expect(failures, failures.join("\n\n")).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(TOTAL);
  }, 900_000);
});
