// The demo partner `npm start` prints a key for, onboarded through the control plane like any
// partner. Its key is kept in .data/demo-partner.json, a local-development convenience: the
// cell itself only stores the key's hash.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";

export interface DemoPartner {
  partnerId: string;
  apiKey: string;
}

export async function ensureDemoPartner(
  file: string,
  controlPlaneUrl: string,
  adminToken: string,
): Promise<DemoPartner> {
  const headers = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
  if (existsSync(file)) {
    const saved = JSON.parse(await readFile(file, "utf8")) as DemoPartner;
    const res = await fetch(`${controlPlaneUrl}/admin/v1/partners/${saved.partnerId}`, { headers });
    if (res.ok) return saved;
  }
  const res = await fetch(`${controlPlaneUrl}/admin/v1/partners`, {
    method: "POST",
    headers,
    body: JSON.stringify({ name: "Demo partner" }),
  });
  const body = (await res.json()) as { id?: string; api_key?: string; error?: { message: string } };
  if (!res.ok || !body.id || !body.api_key)
    throw new Error(`onboarding the demo partner failed: ${body.error?.message ?? res.status}`);
  const demo = { partnerId: body.id, apiKey: body.api_key };
  await writeFile(file, `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });
  return demo;
}

/** Registers (upserts) a running cell with the control plane: health-checked, then placeable. */
export async function registerCell(
  controlPlaneUrl: string,
  adminToken: string,
  cell: { id: string; weight: number; gateways: string[]; internal_gateways: string[] },
): Promise<void> {
  const res = await fetch(`${controlPlaneUrl}/admin/v1/cells`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify(cell),
  });
  if (!res.ok) throw new Error(`registering cell ${cell.id} failed: ${res.status} ${await res.text()}`);
}
