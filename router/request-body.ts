// Buffers a request body, at most maxBytes + 1 of it: small enough to hold while a frozen partner
// waits and to resend on a retry, and one byte over the cell's 64 KiB limit so the cell itself
// still answers 413 with its own error. The rest of an oversized body is read and discarded.
import type { IncomingMessage } from "node:http";

export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const cap = maxBytes + 1;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    req.on("data", (chunk: Buffer) => {
      if (done) return; // discarding the tail of an oversized body
      const room = cap - size;
      if (chunk.length >= room) {
        chunks.push(chunk.subarray(0, room));
        size += room;
        finish();
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    req.once("end", finish);
    req.once("error", (err) => {
      if (!done) {
        done = true;
        reject(err);
      }
    });
  });
}
