// Which connector a payment reaches: test mode always the simulator; live mode the partner's live
// connector (its `live_connector` setting, set by the admin's enable-live), if this cell has it.
// A live request with none is refused (403 live_mode_not_enabled) before anything is written.
import { ApiError } from "../../shared/errors.ts";
import type { AcquirerConnector, AuthorizationResult } from "./connector.ts";
import { createSimulatorAcquirer, simulatorTestCards } from "./simulator.ts";

export interface AcquirerRoutes {
  /** Test mode: the simulator, for every partner. */
  test: AcquirerConnector;
  /** The live connectors this cell can reach, by the name partners' settings give. */
  live: ReadonlyMap<string, AcquirerConnector>;
}

/** Connector kinds a cell can be configured with (LIVE_CONNECTORS), by name. */
const liveConnectorKinds: Record<string, () => AcquirerConnector> = {
  // The simulator behind a live connector's name: a stand-in for a bank connection in staging,
  // benchmarks and tests (no bank connector ships with cellpay). Its test cards are still refused
  // in live mode (liveModeTestCardDecline), as a real acquirer would never see them.
  sandbox: () => createSimulatorAcquirer(),
};

export function liveConnectorsNamed(names: readonly string[]): Map<string, AcquirerConnector> {
  const connectors = new Map<string, AcquirerConnector>();
  for (const name of names) {
    const make = liveConnectorKinds[name];
    if (!make) {
      throw new Error(
        `LIVE_CONNECTORS: unknown connector '${name}' (known: ${Object.keys(liveConnectorKinds).join(", ")})`,
      );
    }
    connectors.set(name, make());
  }
  return connectors;
}

export function connectorFor(
  routes: AcquirerRoutes,
  livemode: boolean,
  liveConnector: string | undefined,
): AcquirerConnector {
  if (!livemode) return routes.test;
  const connector = liveConnector === undefined ? undefined : routes.live.get(liveConnector);
  if (!connector) {
    throw new ApiError(
      "live_mode_not_enabled",
      "Live mode is not enabled for this account: no live connector is configured. Use a test key (sk_test_…), or ask the platform to enable live mode.",
    );
  }
  return connector;
}

const testCardNumbers: ReadonlySet<string> = new Set(simulatorTestCards.map((c) => c.number));

/** A simulator test card sent in live mode: declined without reaching the live connector. */
export function liveModeTestCardDecline(pan: string): AuthorizationResult | undefined {
  if (!testCardNumbers.has(pan)) return undefined;
  return {
    outcome: "declined",
    failure_code: "test_card_in_live_mode",
    failure_message: "This is a test card; it cannot be used with a live key. Use a test key (sk_test_…).",
  };
}
