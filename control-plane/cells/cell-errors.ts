// A failed call to a cell's internal API, as an admin API error: unreachable is a 503, anything
// else the cell answered is a 502 naming the cell's own code.
import { CellApiError } from "../../shared/cell-api/cell-client.ts";
import { ApiError } from "../../shared/errors.ts";

export function cellCallFailed(cellId: string, err: unknown): ApiError {
  if (err instanceof CellApiError && err.code === "cell_unreachable") {
    return new ApiError("cell_unavailable", `Cell '${cellId}' is unreachable; nothing was changed.`, {
      cause: err,
    });
  }
  const detail =
    err instanceof CellApiError ? `${err.status} ${err.code ?? ""}`.trim() : (err as Error).message;
  return new ApiError(
    "cell_request_failed",
    `Cell '${cellId}' refused the change (${detail}); nothing was changed.`,
    {
      cause: err,
    },
  );
}

/** Runs a cell call, turning its failure into an admin API error (which rolls back the transaction). */
export async function callCell<T>(cellId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw cellCallFailed(cellId, err);
  }
}
