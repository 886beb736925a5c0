// Finds unused TCP ports so test cells never collide with each other or with the shared
// instances on 5432/6379/4222.
import { createServer } from "node:net";

// Ports are drawn below the kernel's ephemeral range (32768+ on Linux): a port the kernel hands
// out for listen(0) is also what it hands to outgoing connections, so a "free" ephemeral port
// can be taken by any client socket before our server binds it. Random draws in 20000–32767
// also keep parallel test workers apart; a port handed out once is not handed out again here.
const LOW = 20_000;
const HIGH = 32_767;
const handedOut = new Set<number>();

/** Whether a TCP port on 127.0.0.1 can be bound right now (also used by bench/ab for port blocks). */
export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`freePort: no free port found in ${LOW}-${HIGH}`);
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
