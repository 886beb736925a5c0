// fast-check arbitraries of requests for the fuzz suite, built from the published OpenAPI document
// (so a new route is fuzzed without touching the suite). Query strings are written by hand, so raw
// bytes, broken escapes and repeated or bracketed parameters reach the gateway as an attacker would
// send them; bodies mix values of the right shape with hostile ones.
import fc from "fast-check";
import {
  type Fixtures,
  hinted,
  hostileJson,
  hostileString,
  type JsonSchema,
  unstorableText,
  valueFor,
} from "./fuzz-values.ts";

export interface Operation {
  method: string;
  path: string;
  query: { name: string; schema: JsonSchema }[];
  idempotent: boolean;
  body: JsonSchema | undefined;
}

export interface FuzzCase {
  operation: string;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** One query value for a declared parameter: the right shape (mostly), else hostile text. */
function queryValueFor(param: { name: string; schema: JsonSchema }, fx: Fixtures): fc.Arbitrary<string> {
  const s = param.schema;
  const hint = hinted(param.name, fx);
  let shaped: fc.Arbitrary<string>;
  if (hint) shaped = hint.map(String);
  else if (s.enum && s.enum.length > 0) shaped = fc.constantFrom(...s.enum.map(String));
  else if (s.type === "integer" || s.type === "number") {
    const min = s.minimum ?? 0;
    const max = Math.min(s.maximum ?? 1e6, Number.MAX_SAFE_INTEGER);
    shaped = fc
      .oneof(fc.integer({ min, max: Math.min(max, 2 ** 31) }), fc.constantFrom(min, max, max + 1, min - 1))
      .map(String);
  } else shaped = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom("pay_0mh1x2y3z4abcdefghijklmn"));
  return fc.oneof({ arbitrary: shaped, weight: 3 }, { arbitrary: hostileString, weight: 2 });
}

/** Keys an attacker would try beside the declared ones. */
const strayKeys: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "__proto__",
    "constructor",
    "__proto__[limit]",
    "created[gte]",
    "created[foo]",
    "created[]",
    "created",
    "limit[]",
    "limit[0]",
    "status[]",
    "expand[]",
    "",
    "a\u0000",
    "%00",
  ),
  fc.string({ unit: "binary", maxLength: 12 }),
);

/** Percent-encodes as a browser would; a lone surrogate goes as U+FFFD (encodeURIComponent throws). */
export const encode = (s: string) => encodeURIComponent(Buffer.from(s, "utf8").toString("utf8"));

const encoders: fc.Arbitrary<(s: string) => string> = fc.constantFrom(
  encode,
  // raw: broken escapes, '&' and '=' inside values, unicode; only '#' would end the URL
  (s: string) => s.replace(/#/g, "%23"),
);

export function queryFor(op: Operation, fx: Fixtures): fc.Arbitrary<string> {
  const declared = op.query.map((p) =>
    fc.tuple(fc.constant(p.name), queryValueFor(p, fx), encoders, fc.boolean()),
  );
  const stray = fc.tuple(strayKeys, hostileString, encoders, fc.boolean());
  const pairs =
    declared.length > 0
      ? fc.array(fc.oneof({ arbitrary: fc.oneof(...declared), weight: 4 }, { arbitrary: stray, weight: 1 }), {
          maxLength: 6,
        })
      : fc.oneof(
          { arbitrary: fc.constant([]), weight: 2 },
          { arbitrary: fc.array(stray, { maxLength: 3 }), weight: 1 },
        );
  const shapedOnly =
    declared.length > 0
      ? fc
          .subarray(op.query)
          .chain((ps) => fc.tuple(...ps.map((p) => queryValueFor(p, fx).map((v) => [p.name, v] as const))))
      : fc.constant([]);
  return fc.oneof(
    {
      arbitrary: pairs.map((list) =>
        list
          .map(([k, v, enc, keyEncoded]) => `${keyEncoded ? encode(k) : k.replace(/#/g, "%23")}=${enc(v)}`)
          .join("&"),
      ),
      weight: 3,
    },
    {
      arbitrary: shapedOnly.map((list) => list.map(([k, v]) => `${encode(k)}=${encode(v)}`).join("&")),
      weight: 2,
    },
  );
}

/** A path parameter: a real id of the resource (own or another partner's), else anything. */
export function idFor(resource: string, fx: Fixtures): fc.Arbitrary<string> {
  const real = fx.ids[resource] ?? [];
  const hostile = fc.oneof(
    hostileString.map(encode),
    fc.constantFrom(
      "%00",
      "%zz",
      "%2e%2e",
      "..%2f..%2fmetrics",
      "%2F",
      `pay_${"a".repeat(2000)}`,
      "%E0%A4%A",
    ),
  );
  return real.length > 0
    ? fc.oneof({ arbitrary: fc.constantFrom(...real), weight: 3 }, { arbitrary: hostile, weight: 2 })
    : hostile;
}

const rawBodies = [
  "",
  "{",
  "null",
  "[]",
  '"text"',
  "1e400",
  '{"amount": 1e400, "currency": "eur"}',
  '{"amount": 123456789012345678901234567890, "currency": "eur"}',
  '{"amount": -0.0000001}',
  '{"__proto__": {"amount": 1}, "currency": "eur"}',
  '{"constructor": {"prototype": {"x": 1}}}',
  '{"amount": 100, "amount": "100"}',
  '\ufeff{"amount": 100}',
  '{"a": "\\ud800"}',
  '{"description": "\\u0000"}',
  `${"[".repeat(10_000)}${"]".repeat(10_000)}`,
  `{"metadata": {${Array.from({ length: 60 }, (_, i) => `"k${i}": "v"`).join(",")}}}`,
];

export function bodyFor(
  op: Operation,
  components: Record<string, JsonSchema>,
  fx: Fixtures,
): fc.Arbitrary<string | undefined> {
  const shaped = op.body
    ? valueFor(op.body, components, fx).map((v) => JSON.stringify(v))
    : fc.constant("{}");
  const oneBad = oneBadBodyFor(op, components, fx);
  const valid = op.body
    ? valueFor(op.body, components, fx, "", 0, false).map((v) => JSON.stringify(v))
    : fc.constant("{}");
  return fc.oneof(
    { arbitrary: shaped, weight: 4 },
    { arbitrary: oneBad, weight: 4 },
    { arbitrary: valid, weight: 2 },
    { arbitrary: hostileJson.map((v) => JSON.stringify(v) ?? "null"), weight: 1 },
    { arbitrary: fc.constantFrom(...rawBodies), weight: 1 },
    { arbitrary: fc.constant(undefined), weight: 1 },
  );
}

/** A body that would get through, but for one value anywhere in it. */
export function oneBadBodyFor(
  op: Operation,
  components: Record<string, JsonSchema>,
  fx: Fixtures,
): fc.Arbitrary<string> {
  if (!op.body) return fc.constant("{}");
  const bad = fc.oneof(
    { arbitrary: unstorableText, weight: 2 },
    { arbitrary: hostileString, weight: 2 },
    { arbitrary: hostileJson, weight: 1 },
  );
  return fc
    .tuple(valueFor(op.body, components, fx, "", 0, false), fc.nat(), bad)
    .map(([v, n, b]) => JSON.stringify(replaceOne(v, n, b)));
}

/** `value` with the n-th of its keys (at any depth, counted in order) set to `bad`. */
function replaceOne(value: unknown, n: number, bad: unknown): unknown {
  const slots: [Record<string, unknown>, string][] = [];
  const walk = (v: unknown) => {
    if (typeof v !== "object" || v === null) return;
    for (const [k, inner] of Object.entries(v)) {
      slots.push([v as Record<string, unknown>, k]);
      walk(inner);
    }
  };
  walk(value);
  const slot = slots[n % Math.max(1, slots.length)];
  if (slot) slot[0][slot[1]] = bad;
  return value;
}

/** Headers of a write: with and without Idempotency-Key (fresh, shared, or malformed). */
export function headersFor(op: Operation): fc.Arbitrary<Record<string, string>> {
  const contentType = fc.oneof(
    { arbitrary: fc.constant("application/json"), weight: 8 },
    {
      arbitrary: fc.constantFrom("text/plain", "application/json; charset=utf-16", "multipart/form-data", ""),
      weight: 1,
    },
  );
  // Header values must be ByteStrings without CR, LF or NUL, or fetch itself refuses them.
  const latin1 = fc.string({
    unit: fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c)),
    maxLength: 40,
  });
  const key = fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 3 },
    { arbitrary: fc.uuid(), weight: 3 },
    { arbitrary: fc.constantFrom("fuzz-shared-1", "fuzz-shared-2"), weight: 1 },
    {
      arbitrary: fc.oneof(latin1, fc.constantFrom("", "k".repeat(256), "k".repeat(10_000), " spaced key ")),
      weight: 1,
    },
  );
  return fc.tuple(contentType, op.idempotent ? key : fc.constant(undefined)).map(([ct, k]) => ({
    ...(ct ? { "content-type": ct } : {}),
    ...(k === undefined ? {} : { "idempotency-key": k }),
  }));
}
