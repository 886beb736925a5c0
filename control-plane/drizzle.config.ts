import { defineConfig } from "drizzle-kit";

// The control plane's own (global) database: separate schema and migrations from every cell's.
export default defineConfig({
  dialect: "postgresql",
  schema: "./control-plane/db/schema.ts",
  out: "./control-plane/db/migrations",
});
