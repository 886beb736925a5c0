// Prefixed, time-sortable ids (pay_…, re_…, ptr_…): a log line says what it points at, and
// ids sort by creation time, which keeps b-tree inserts at the right edge of the index.
import { randomBytes } from "node:crypto";

export type IdPrefix =
  | "pay"
  | "re"
  | "ptr"
  | "key"
  | "tok"
  | "evt"
  | "req"
  | "dk"
  | "dkr"
  | "we"
  | "mv"
  | "cell"
  | "dr"
  | "stl"
  | "wd";

const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";

function base36(bytes: Buffer, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % 36];
  return out;
}

// Random bytes are drawn 4 KiB at a time: one randomBytes call per id showed in CPU profiles.
let pool = Buffer.alloc(0);
let offset = 0;

function random14(): Buffer {
  if (offset + 14 > pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  offset += 14;
  return pool.subarray(offset - 14, offset);
}

/** 10 chars of milliseconds (base 36, fixed width) then 14 random chars. */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  const time = now.toString(36).padStart(10, "0");
  return `${prefix}_${time}${base36(random14(), 14)}`;
}

/**
 * The smallest id `newId(prefix, ms)` can make: the prefix and the time, no random part. Ids made
 * at or after `ms` sort at or above it, which is what a partition bound by time needs.
 */
export function timeIdBound(prefix: IdPrefix, ms: number): string {
  return `${prefix}_${Math.max(0, Math.floor(ms)).toString(36).padStart(10, "0")}`;
}
