// Every version change, oldest first. Adding one: write a module beside these (see the README's
// "Adding a version change"), add it here, and add its version to shared/api-versions.ts.
import type { VersionChange } from "../version-change.ts";
import { captureAmountToCapture } from "./2026-12-01-capture-amount-to-capture.ts";
import { paymentFailureObject } from "./2026-12-01-payment-failure-object.ts";

export const versionChanges: readonly VersionChange[] = [paymentFailureObject, captureAmountToCapture];
