// fast-check arbitraries for the fuzz suite: requests built from the published OpenAPI document
// (so a new route is fuzzed without touching the suite), mixing values of the right shape with
// hostile ones. Query strings are written by hand, so raw bytes, broken escapes and repeated or
// bracketed parameters reach the gateway as an attacker would send them.
import fc from "fast-check";

export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  default?: unknown;
  example?: unknown;
}

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

/** What the suite knows of the cell: real ids per resource and values that pass deep checks. */
export interface Fixtures {
  ids: Record<string, string[]>;
}

const hostileText = [
  "",
  " ",
  "null",
  "undefined",
  "NaN",
  "Infinity",
  "-Infinity",
  "-1",
  "0",
  "-0",
  "1.5",
  "1e3",
  "1e309",
  "0x1f",
  "99999999999999",
  "99999999999999999999999999",
  "-99999999999999",
  "9007199254740993",
  "253402300800",
  "\u0000",
  "a\u0000b",
  "%00",
  "%zz",
  "%E0%A4%A",
  "%F0%9F%92",
  "__proto__",
  "constructor",
  "prototype",
  "[object Object]",
  "'; select pg_sleep(1); --",
  "\\",
  "../../metrics",
  "%2e%2e%2f",
  "💳",
  "\ud800",
  "\uffff",
  "true",
  "[]",
  "{}",
  "2026-01-01T00:00:00Z",
  "4242424242424242",
  "x".repeat(70),
  "é".repeat(300),
];

/** Text that no Postgres column holds (NUL) or that jsonb refuses (unpaired surrogates). */
export const unstorableText: fc.Arbitrary<string> = fc
  .tuple(
    fc.string({ maxLength: 8 }),
    fc.constantFrom("\u0000", "\ud800", "\udfff", "\u0000\u0000"),
    fc.string({ maxLength: 8 }),
  )
  .map(([a, bad, b]) => a + bad + b);

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: unstorableText, weight: 2 },
  { arbitrary: fc.constantFrom(...hostileText), weight: 4 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 40 }), weight: 2 },
  { arbitrary: fc.integer().map(String), weight: 1 },
  { arbitrary: fc.double().map(String), weight: 1 },
  { arbitrary: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String), weight: 1 },
  { arbitrary: fc.integer({ min: 300, max: 2000 }).map((n) => "9".repeat(n)), weight: 1 },
);

const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, -0, 1.5, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, 2 ** 31, 2 ** 63),
  fc.double(),
  fc.integer(),
  hostileString,
);

/** Nested arrays/objects, 'null' everywhere, prototype keys, and a few very deep values. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileScalar, weight: 5 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
  {
    arbitrary: fc.dictionary(fc.constantFrom("__proto__", "constructor", "toString", "a"), hostileScalar),
    weight: 1,
  },
  { arbitrary: fc.integer({ min: 50, max: 3000 }).map(deepArray), weight: 1 },
  { arbitrary: fc.array(hostileScalar, { maxLength: 5 }), weight: 1 },
);

function deepArray(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

/** Field names whose valid values a generic generator would hardly ever hit. */
function hinted(name: string, fx: Fixtures): fc.Arbitrary<unknown> | undefined {
  const ids = (kind: string) => fc.constantFrom(...(fx.ids[kind] ?? ["x_missing"]));
  switch (name) {
    case "number":
      return fc.constantFrom(
        "4242424242424242",
        "5555555555554444",
        "4000000000000002",
        "4242 4242 4242 4242",
      );
    case "exp_month":
      return fc.integer({ min: 1, max: 12 });
    case "exp_year":
      return fc.integer({ min: 2027, max: 2040 });
    case "cvc":
      return fc.constantFrom("123", "123", "123", "1234");
    case "currency":
      return fc.constantFrom("eur", "USD", "jpy", "bhd");
    case "amount":
      return fc.integer({ min: 1, max: 100_000 });
    case "url":
      return fc.constantFrom("https://hooks.example.com/cellpay", "http://127.0.0.1:9/hook", "http://[::1]/");
    case "payment_id":
    case "starting_after":
      return ids("payments");
    case "token":
      return ids("card_tokens");
    case "event_id":
      return ids("events");
    default:
      return undefined;
  }
}

export function resolve(schema: JsonSchema, components: Record<string, JsonSchema>): JsonSchema {
  let s = schema;
  for (let i = 0; s.$ref && i < 10; i++) s = components[s.$ref.split("/").pop() ?? ""] ?? {};
  return s;
}

/**
 * A value for `schema`: of its shape (hinted where a field name says more), else hostile; with
 * `hostile` false, of its shape all the way down (a request that should get through).
 */
export function valueFor(
  schema: JsonSchema,
  components: Record<string, JsonSchema>,
  fx: Fixtures,
  name = "",
  depth = 0,
  hostile = true,
): fc.Arbitrary<unknown> {
  const s = resolve(schema, components);
  const shaped = shapedFor(s, components, fx, name, depth, hostile);
  return hostile ? fc.oneof({ arbitrary: shaped, weight: 4 }, { arbitrary: hostileJson, weight: 1 }) : shaped;
}

function shapedFor(
  s: JsonSchema,
  components: Record<string, JsonSchema>,
  fx: Fixtures,
  name: string,
  depth: number,
  hostile: boolean,
): fc.Arbitrary<unknown> {
  const hint = hinted(name, fx);
  if (hint) return hint;
  const variants = s.oneOf ?? s.anyOf;
  if (variants && variants.length > 0)
    return fc.oneof(
      ...variants.map((v) => shapedFor(resolve(v, components), components, fx, name, depth, hostile)),
    );
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum && s.enum.length > 0) return fc.constantFrom(...s.enum);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === "object" || s.properties) {
    if (depth > 4) return fc.constant({});
    const props = s.properties ?? {};
    const additional = s.additionalProperties;
    if (!s.properties && typeof additional === "object")
      return fc.dictionary(
        fc.string({ minLength: hostile ? 0 : 1, maxLength: hostile ? 45 : 20 }),
        valueFor(additional, components, fx, "", depth + 1, hostile),
        { maxKeys: hostile ? 55 : 5 },
      );
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [key, prop] of Object.entries(props))
      model[key] = valueFor(prop, components, fx, key, depth + 1, hostile);
    const known = fc.record(model, { requiredKeys: s.required?.filter((k) => k in props) ?? [] });
    if (!hostile) return known;
    const extra = fc.dictionary(
      fc.oneof(hostileString, fc.constantFrom("__proto__", "constructor")),
      hostileJson,
      {
        maxKeys: 2,
      },
    );
    return fc.oneof(
      { arbitrary: known, weight: 4 },
      { arbitrary: fc.tuple(known, extra).map(([k, e]) => ({ ...e, ...k })), weight: 1 },
      { arbitrary: fc.record(model, { requiredKeys: [] }), weight: 1 },
    );
  }
  if (type === "array") {
    const item = s.items ? valueFor(s.items, components, fx, name, depth + 1, hostile) : hostileJson;
    return fc.array(item, { maxLength: 4 });
  }
  if (type === "integer" || type === "number") {
    const min = s.minimum ?? -1000;
    const max = s.maximum ?? 1_000_000;
    return fc.oneof(
      fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) }),
      fc.constantFrom(min - 1, max + 1),
    );
  }
  if (type === "boolean") return fc.boolean();
  if (type === "string") {
    const examples = s.example === undefined ? [] : [String(s.example)];
    return fc.oneof(
      fc.string({ maxLength: Math.min(s.maxLength ?? 40, 40) }),
      fc.constantFrom("a", "order-6735", ...examples),
      // At the length limit: ASCII where it must fit, else unicode, counted in graphemes.
      fc.string({
        unit: hostile ? "grapheme" : "grapheme-ascii",
        minLength: (s.maxLength ?? 1000) - 2,
        maxLength: (s.maxLength ?? 1000) + (hostile ? 2 : 0),
      }),
    );
  }
  return hostileJson;
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
