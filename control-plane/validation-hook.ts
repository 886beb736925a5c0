// The control plane's validation hook: the shared one (shared/http/validation-hook.ts).
import { createValidationHook } from "../shared/http/validation-hook.ts";
import type { AppEnv } from "./app-env.ts";

export const validationHook = createValidationHook<AppEnv>();
