// What every partner query is scoped to: the partner AND the mode of the key that authenticated
// the request. A test key never reads a live row and vice versa; a row of the other mode is
// "not found", exactly like another partner's.
import type { KeyMode } from "./api-keys.ts";

export interface ModeScope {
  partnerId: string;
  /** false: test mode (sk_test_ keys), true: live mode (sk_live_ keys). */
  livemode: boolean;
}

export const livemodeOf = (mode: KeyMode): boolean => mode === "live";
export const modeOf = (livemode: boolean): KeyMode => (livemode ? "live" : "test");
