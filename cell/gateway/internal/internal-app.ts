// The cell's internal API, mounted at /internal/v1: the contract of shared/cell-api/contract.ts,
// one route per file (routes/), validated by the same schemas the control plane's client parses
// its answers with. For the control plane's cell-admin credential only, with a body limit sized
// for a move's import batches; export and import also need a move capability.
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { INTERNAL_BODY_LIMIT_BYTES } from "../../../shared/cell-api/contract.ts";
import { ApiError } from "../../../shared/errors.ts";
import { requireCredential } from "../../../shared/http/bearer-auth.ts";
import type { AppEnv } from "../app-env.ts";
import { validationHook } from "../validation-hook.ts";
import { registerActivatePartner } from "./routes/activate-partner.ts";
import { registerChangeLog } from "./routes/change-log.ts";
import { registerChecksums } from "./routes/checksums.ts";
import { registerCurrentXid } from "./routes/current-xid.ts";
import { registerDatabaseLayout } from "./routes/database-layout.ts";
import { registerDestroyRetiredKeys } from "./routes/destroy-retired-keys.ts";
import { registerExportChanges } from "./routes/export-changes.ts";
import { registerExportRows } from "./routes/export-rows.ts";
import { registerFreezePartner } from "./routes/freeze-partner.ts";
import { registerHealth } from "./routes/health.ts";
import { registerImportRows } from "./routes/import-rows.ts";
import { registerInFlight } from "./routes/in-flight.ts";
import { registerIssueKey } from "./routes/issue-key.ts";
import { registerKeyStatus } from "./routes/key-status.ts";
import { registerListKeys } from "./routes/list-keys.ts";
import { registerInternalOpenApi } from "./routes/openapi.ts";
import { registerPartnerTraffic } from "./routes/partner-traffic.ts";
import { registerProvisionPartner } from "./routes/provision-partner.ts";
import { registerPurgePartner } from "./routes/purge-partner.ts";
import { registerRedriveEvents } from "./routes/redrive-events.ts";
import { registerRetrievePartner } from "./routes/retrieve-partner.ts";
import { registerRevokeKey } from "./routes/revoke-key.ts";
import { registerRotateDataKey } from "./routes/rotate-data-key.ts";
import { registerRotateMasterKey } from "./routes/rotate-master-key.ts";
import { registerSplitChecksums } from "./routes/split-checksums.ts";
import { registerUnfreezePartner } from "./routes/unfreeze-partner.ts";
import { registerUpdatePartner } from "./routes/update-partner.ts";
import { registerWorkerBacklog } from "./routes/worker-backlog.ts";

export function createInternalApp(cellAdminToken: string | undefined): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use(requireCredential<AppEnv>("cell-admin", cellAdminToken));
  app.use(
    bodyLimit({
      maxSize: INTERNAL_BODY_LIMIT_BYTES,
      onError: () => {
        throw new ApiError(
          "payload_too_large",
          `The request body is larger than ${INTERNAL_BODY_LIMIT_BYTES} bytes.`,
        );
      },
    }),
  );
  registerHealth(app);
  registerDatabaseLayout(app);
  // Partners and their keys.
  registerProvisionPartner(app);
  registerRetrievePartner(app);
  registerUpdatePartner(app);
  registerListKeys(app);
  registerIssueKey(app);
  registerRevokeKey(app);
  registerPartnerTraffic(app);
  // The move protocol (control-plane/moves/).
  registerCurrentXid(app);
  registerExportRows(app);
  registerImportRows(app);
  registerChecksums(app);
  registerChangeLog(app);
  registerExportChanges(app);
  registerSplitChecksums(app);
  registerFreezePartner(app);
  registerUnfreezePartner(app);
  registerInFlight(app);
  registerWorkerBacklog(app);
  registerActivatePartner(app);
  registerPurgePartner(app);
  // Key management (cell/vault/vault-keys.ts; contract in shared/cell-api/contract-keys.ts).
  registerKeyStatus(app);
  registerRotateMasterKey(app);
  registerRotateDataKey(app);
  registerDestroyRetiredKeys(app);
  // Events (cell/events/redrive.ts).
  registerRedriveEvents(app);
  registerInternalOpenApi(app);
  return app;
}
