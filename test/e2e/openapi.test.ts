// The published API description: /v1/openapi.json (OpenAPI 3.1, no key needed) documents every
// route the gateway answers, and /docs renders it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCodes } from "../../shared/errors.ts";
import { startTestCell, type TestCell } from "../harness.ts";

interface Operation {
  security?: Record<string, string[]>[];
  responses?: Record<string, unknown>;
  requestBody?: unknown;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: { type?: string; minimum?: number; maximum?: number; enum?: string[] };
}
interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { properties?: Record<string, unknown> }>;
    securitySchemes?: Record<string, { type: string; scheme?: string }>;
  };
}

let cell: TestCell;
let doc: OpenApiDoc;
let specResponse: Response;

beforeAll(async () => {
  cell = await startTestCell();
  specResponse = await fetch(`${cell.url}/v1/openapi.json`);
  doc = (await specResponse.json()) as OpenApiDoc;
});
afterAll(() => cell?.stop());

const routes: [string, string[]][] = [
  ["/v1/payments", ["get", "post"]],
  ["/v1/payments/{id}", ["get"]],
  ["/v1/payments/{id}/capture", ["post"]],
  ["/v1/payments/{id}/cancel", ["post"]],
  ["/v1/refunds", ["get", "post"]],
  ["/v1/refunds/{id}", ["get"]],
  ["/v1/card_tokens", ["post"]],
  ["/v1/card_tokens/{id}", ["delete"]],
  ["/v1/balance", ["get"]],
  ["/v1/settlements", ["get"]],
  ["/v1/settlements/{id}", ["get"]],
  ["/v1/events", ["get"]],
  ["/v1/events/{id}", ["get"]],
  ["/v1/webhook_endpoints", ["get", "post"]],
  ["/v1/webhook_endpoints/{id}", ["get", "post", "delete"]],
  ["/v1/webhook_endpoints/{id}/roll_secret", ["post"]],
  ["/v1/webhook_deliveries", ["get"]],
  ["/v1/webhook_deliveries/{id}/attempts", ["get"]],
  ["/v1/webhook_deliveries/{id}/resend", ["post"]],
];

describe("GET /v1/openapi.json", () => {
  it("answers 200 JSON without an API key, with a request-id", () => {
    expect(specResponse.status).toBe(200);
    expect(specResponse.headers.get("content-type")).toMatch(/^application\/json/);
    expect(specResponse.headers.get("request-id")).toMatch(/^req_/);
  });

  it("is OpenAPI 3.1 with a title and version", () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info).toMatchObject({ title: "cellpay API", version: expect.any(String) });
  });

  it.each(routes)("documents %s with exactly the methods %j", (path, methods) => {
    const item = doc.paths[path];
    expect(item, `${path} is documented`).toBeDefined();
    const documented = Object.keys(item ?? {}).filter((k) =>
      ["get", "post", "put", "patch", "delete"].includes(k),
    );
    expect(documented.sort()).toEqual([...methods].sort());
  });

  it("documents no /v1 route beyond those, besides itself and the key-less changelog", () => {
    const documented = Object.keys(doc.paths).filter((p) => p.startsWith("/v1/"));
    expect(documented.sort()).toEqual([...routes.map(([p]) => p), "/v1/versions"].sort());
  });

  it("every documented operation needs the bearer key and documents its error answers", () => {
    expect(doc.components.securitySchemes?.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    for (const [path, methods] of routes) {
      for (const method of methods) {
        const op = doc.paths[path]?.[method];
        expect(op?.security, `${method} ${path}`).toEqual([{ bearer: [] }]);
        expect(Object.keys(op?.responses ?? {}), `${method} ${path}`).toEqual(
          expect.arrayContaining(["400", "401"]),
        );
      }
    }
  });

  it("components include the Payment and Error schemas; Error lists every error code", () => {
    const schemas = doc.components.schemas;
    for (const name of ["Payment", "Error", "Refund", "CardToken", "CreatePayment"]) {
      expect(schemas[name], name).toBeDefined();
    }
    expect(Object.keys(schemas.Payment?.properties ?? {})).toEqual(
      expect.arrayContaining(["id", "status", "amount", "currency", "card"]),
    );
    const error = schemas.Error?.properties?.error as {
      properties: { code: { enum: string[] } };
      required: string[];
    };
    expect([...error.properties.code.enum].sort()).toEqual([...errorCodes].sort());
    expect(error.required.sort()).toEqual(["code", "message", "request_id", "type"]);
  });

  it("documents list filters with their types and bounds, as the gateway enforces them", () => {
    const params =
      (doc.paths["/v1/payments"]?.get as { parameters?: Parameter[] } | undefined)?.parameters ?? [];
    const byName = new Map(params.map((p) => [p.name, p]));
    expect(byName.get("limit")).toMatchObject({
      in: "query",
      schema: { type: "integer", minimum: 1, maximum: 100 },
    });
    for (const bound of ["created[gte]", "created[gt]", "created[lte]", "created[lt]"]) {
      expect(byName.get(bound), bound).toMatchObject({
        in: "query",
        schema: { type: "integer", minimum: 0, maximum: 253_402_300_799 },
      });
    }
    expect(byName.get("status")?.schema?.enum).toContain("succeeded");
    const id = (doc.paths["/v1/payments/{id}"]?.get as { parameters?: Parameter[] } | undefined)?.parameters;
    expect(id?.find((p) => p.name === "id")).toMatchObject({
      in: "path",
      required: true,
      schema: { type: "string" },
    });
  });

  it("every documented route answers for real (neither route_not_found nor method_not_allowed)", async () => {
    const { apiKey } = await cell.partner("Spec reader");
    for (const [path, methods] of routes) {
      for (const method of methods) {
        const res = await fetch(cell.url + path.replace("{id}", "pay_nope"), {
          method: method.toUpperCase(),
          headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
          ...(method === "post" ? { body: "{}" } : {}),
        });
        const body = (await res.json()) as { error?: { code: string } };
        expect(res.status, `${method} ${path}`).toBeLessThan(500);
        expect(["route_not_found", "method_not_allowed"]).not.toContain(body.error?.code);
      }
    }
  });
});

describe("GET /docs", () => {
  it("returns an HTML page, without an API key, that loads /v1/openapi.json", async () => {
    const res = await fetch(`${cell.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain("/v1/openapi.json");
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/);
  });
});
