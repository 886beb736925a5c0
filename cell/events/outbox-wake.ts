// How a writer of outbox events tells the cell's relay "there is something to publish" once its
// transaction has committed: one UDP datagram to the relay. It costs the commit nothing, unlike the
// NOTIFY trigger it replaces (migration 0009): Postgres serialises every committing transaction
// that notifies on one lock, which held the gateway's group-committed phase 2 in a queue.
//
// A wake-up carries no data and proves nothing, so a lost or forged datagram is harmless: the relay
// only claims the outbox sooner, and its idle sweep (RELAY_IDLE_MS) still finds anything a lost
// datagram left behind. Several relays of a cell may bind the same port (reuseAddr); one of them
// is woken, and any relay publishes every unpublished row.
import { createSocket, type Socket } from "node:dgram";

export interface OutboxWaker {
  /** Call after a commit that wrote events. Sends at most one datagram per event-loop turn. */
  wake(): void;
  close(): void;
}

/** "host:port" of the relay's wake listener (OUTBOX_WAKE_ADDRESS). */
export function parseWakeAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(":");
  const port = Number(address.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`outbox wake address must be host:port (got ${address})`);
  }
  return { host: address.slice(0, at), port };
}

/** A waker sending to `address`; with no address, a no-op (the relay then finds events by its sweep). */
export function createOutboxWaker(address: string | undefined, onError?: (err: Error) => void): OutboxWaker {
  if (!address) return { wake() {}, close() {} };
  const { host, port } = parseWakeAddress(address);
  const socket = createSocket("udp4");
  socket.on("error", (err) => onError?.(err));
  socket.unref();
  const datagram = Buffer.from([1]);
  let pending = false;
  let closed = false;
  return {
    wake() {
      if (pending || closed) return;
      pending = true;
      setImmediate(() => {
        pending = false;
        if (!closed) socket.send(datagram, port, host, (err) => err && onError?.(err));
      });
    },
    close() {
      closed = true;
      socket.close();
    },
  };
}

/** Binds the relay's wake listener; `onWake` runs for every datagram. */
export function listenForOutboxWake(
  port: number,
  host: string,
  onWake: () => void,
): Promise<{ port: number; close(): Promise<void> }> {
  const socket: Socket = createSocket({ type: "udp4", reuseAddr: true });
  socket.on("message", () => onWake());
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, host, () => {
      socket.off("error", reject);
      socket.on("error", () => {});
      resolve({
        port: socket.address().port,
        close: () => new Promise<void>((r) => socket.close(() => r())),
      });
    });
  });
}
