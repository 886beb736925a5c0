// fast-check arbitraries of values for the fuzz suite: hostile strings and JSON (huge, negative,
// fractional and exponent numbers, unicode, NUL, unpaired surrogates, prototype keys, deep
// nesting), and values of a JSON schema's shape, hinted by field name so some requests get through.
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
export function hinted(name: string, fx: Fixtures): fc.Arbitrary<unknown> | undefined {
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
