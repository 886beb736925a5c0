// The partner table named in a move route's path: only those of cell/db/partner-tables.ts.

import { ApiError } from "../../../../shared/errors.ts";
import { partnerTable as find, type PartnerTable } from "../../../db/partner-tables.ts";

export function partnerTableOr400(name: string): PartnerTable {
  const t = find(name);
  if (!t) throw new ApiError("invalid_request", `Unknown table '${name.slice(0, 40)}'.`, { param: "table" });
  return t;
}
