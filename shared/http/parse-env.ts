// Parses a service's environment with its zod schema, once at start; every problem is listed,
// one per line, under the service's name.
import type { z } from "zod";

export function parseEnv<S extends z.ZodType>(
  service: string,
  schema: S,
  env: Record<string, string | undefined>,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`${service} configuration is invalid:\n${lines.join("\n")}`);
  }
  return result.data;
}
