// A local development CA and a server certificate signed by it (SAN localhost, 127.0.0.1, ::1),
// made with the openssl CLI under .data/tls/ for `npm start -- --tls` and the TLS tests. Reused
// while valid, so a client that trusts ca.crt keeps trusting restarts. Never for production: there
// the certificate comes from a real CA at the TLS terminator (see the README's production edge).
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import https from "node:https";
import { join } from "node:path";
import { promisify } from "node:util";
import { ensureTool } from "./binaries.ts";

const execFileAsync = promisify(execFile);

export interface DevCertificate {
  /** The CA to trust (curl --cacert, NODE_EXTRA_CA_CERTS). */
  caFile: string;
  certFile: string;
  keyFile: string;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Valid for at least another week? (openssl x509 -checkend exits 1 otherwise.) */
async function stillValid(openssl: string, certFile: string): Promise<boolean> {
  try {
    await execFileAsync(openssl, ["x509", "-checkend", String(7 * 86_400), "-noout", "-in", certFile]);
    return true;
  } catch {
    return false;
  }
}

export async function ensureDevCertificate(
  dir: string,
  log: (msg: string) => void = console.log,
): Promise<DevCertificate> {
  const files: DevCertificate = {
    caFile: join(dir, "ca.crt"),
    certFile: join(dir, "server.crt"),
    keyFile: join(dir, "server.key"),
  };
  const caKey = join(dir, "ca.key");
  const openssl = await ensureTool("openssl", "openssl", log);
  const present = await Promise.all([files.caFile, files.certFile, files.keyFile, caKey].map(exists));
  if (
    present.every(Boolean) &&
    (await stillValid(openssl, files.caFile)) &&
    (await stillValid(openssl, files.certFile))
  ) {
    return files;
  }
  // The directory is the keys' first protection (0700); the files are 0600 as well.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const run = (args: string[]) => execFileAsync(openssl, args);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await run([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    caKey,
    "-out",
    files.caFile,
    "-days",
    "3650",
    "-subj",
    "/CN=cellpay local development CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  const csr = join(dir, "server.csr");
  const ext = join(dir, "server.ext");
  await run(["req", ...ec, "-keyout", files.keyFile, "-out", csr, "-subj", "/CN=localhost"]);
  await writeFile(
    ext,
    [
      "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature",
      "extendedKeyUsage=serverAuth",
    ].join("\n"),
  );
  // 825 days: the longest validity clients (Apple's) accept for a server certificate.
  await run([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    files.caFile,
    "-CAkey",
    caKey,
    "-out",
    files.certFile,
    "-days",
    "825",
    "-set_serial",
    `0x${randomBytes(16).toString("hex")}`,
    "-extfile",
    ext,
  ]);
  await Promise.all([rm(csr), rm(ext)]);
  await Promise.all([chmod(caKey, 0o600), chmod(files.keyFile, 0o600)]);
  log(`made a local development CA and certificate in ${dir}`);
  return files;
}

/** A readiness probe for a service serving the development certificate: 200 over HTTPS, CA trusted. */
export function httpsProbe(url: string, caFile: string): () => Promise<void> {
  return async () => {
    const ca = await readFile(caFile);
    await new Promise<void>((resolve, reject) => {
      https
        .get(url, { ca }, (res) => {
          res.resume();
          if (res.statusCode === 200) resolve();
          else reject(new Error(`status ${res.statusCode}`));
        })
        .on("error", reject);
    });
  };
}
