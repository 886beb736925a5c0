// pino JSON logs for every cellpay process. Redaction is configured here, once: card numbers,
// CVCs, secrets and the Authorization header never reach a log line, whatever logs them.
import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger } from "pino";

export const redactedPaths = [
  "authorization",
  "*.authorization",
  "req.headers.authorization",
  "headers.authorization",
  "number",
  "*.number",
  "*.*.number",
  "card.number",
  "payment_method.card.number",
  "pan",
  "*.pan",
  "cvc",
  "*.cvc",
  "*.*.cvc",
  "payment_method.card.cvc",
  "secret",
  "*.secret",
  "api_key",
  "*.api_key",
  "master_key",
  "*.master_key",
];

export function createLogger(
  opts: { service: string; cellId?: string; level?: string },
  destination?: DestinationStream,
): Logger {
  const base: Record<string, string> = { service: opts.service };
  if (opts.cellId) base.cell_id = opts.cellId;
  const options = {
    level: opts.level ?? "info",
    base,
    redact: { paths: redactedPaths, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
