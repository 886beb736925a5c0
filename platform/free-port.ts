// Asks the kernel for an unused TCP port so test cells never collide with each other
// or with the shared instances on 5432/6379/4222.
import { createServer } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("freePort: listening socket has no TCP address"));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}

/** `count` distinct free ports: separate freePort() calls may hand back the same number. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * Fails fast with a clear message when something already listens on 127.0.0.1:port, instead
 * of letting a server die with EADDRINUSE while a readiness probe talks to the intruder.
 */
export function assertPortFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", (err: NodeJS.ErrnoException) => {
      const reason =
        err.code === "EADDRINUSE"
          ? "is already in use by another process"
          : `cannot be bound (${err.message})`;
      reject(new Error(`${what}: port 127.0.0.1:${port} ${reason}`, { cause: err }));
    });
    server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
  });
}
