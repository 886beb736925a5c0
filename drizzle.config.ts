import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./cell/db/schema.ts",
  out: "./cell/db/migrations",
});
