/**
 * The etcd store over TLS with client certificates, configured as an operator
 * does it (KMS_ETCD_CA, KMS_ETCD_CERT, KMS_ETCD_KEY → openStore). Certificates
 * are made per run with the openssl CLI: a CA, a member certificate for
 * 127.0.0.1, a client certificate, and a client certificate from another CA.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { openStore } from "../../src/store/open.js";
import { StoreOpenError } from "../../src/store/store.js";
import { etcdSkip, startEtcd, type EtcdCluster } from "../helpers/etcd.js";

const run = promisify(execFile);
const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
const EXTENSIONS = `[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = IP:127.0.0.1
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
`;

async function makeCa(dir: string, name: string): Promise<void> {
  await run("openssl", ["req", "-x509", ...EC, "-keyout", `${name}.key`, "-out", `${name}.pem`, "-days", "1", "-subj", `/CN=${name}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], { cwd: dir });
}

async function issue(dir: string, ca: string, name: string, section: "server" | "client", serial: number): Promise<void> {
  await run("openssl", ["req", "-new", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`], { cwd: dir });
  await run("openssl", ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-set_serial", String(serial), "-days", "1", "-out", `${name}.pem`, "-extfile", "ext.cnf", "-extensions", section], { cwd: dir });
}

describe.skipIf(etcdSkip !== undefined)("etcd store over TLS with client certificates", () => {
  let dir: string;
  let cluster: EtcdCluster;
  const file = (name: string) => join(dir, name);
  const env = (extra: Record<string, string>) => ({ KMS_STORE: "etcd", KMS_ETCD_ENDPOINTS: cluster.endpoints.join(","), KMS_ETCD_PREFIX: "tls/", ...extra });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "kms-etcd-tls-"));
    await writeFile(join(dir, "ext.cnf"), EXTENSIONS);
    await Promise.all([makeCa(dir, "ca"), makeCa(dir, "other-ca")]);
    await Promise.all([issue(dir, "ca", "member", "server", 2), issue(dir, "ca", "kms", "client", 3), issue(dir, "other-ca", "stranger", "client", 4)]);
    cluster = await startEtcd({
      members: 1,
      tls: { caFile: file("ca.pem"), certFile: file("member.pem"), keyFile: file("member.key"), clientCertAuth: true, client: { certFile: file("kms.pem"), keyFile: file("kms.key") } },
    });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("connects with the CA and a client certificate from KMS_ETCD_*", async () => {
    expect(cluster.endpoints[0]).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const config = loadConfig(env({ KMS_ETCD_CA: file("ca.pem"), KMS_ETCD_CERT: file("kms.pem"), KMS_ETCD_KEY: file("kms.key") }));
    const store = await openStore(config);
    try {
      await store.batch([{ type: "put", key: "v1/meta/x", value: Buffer.from("over tls") }]);
      expect(Buffer.from((await store.get("v1/meta/x")) as Uint8Array).toString()).toBe("over tls");
    } finally {
      await store.close();
    }
  });

  it("is refused without a client certificate, with one from another CA, and without the members' CA", async () => {
    const attempts: Record<string, string>[] = [
      { KMS_ETCD_CA: file("ca.pem") },
      { KMS_ETCD_CA: file("ca.pem"), KMS_ETCD_CERT: file("stranger.pem"), KMS_ETCD_KEY: file("stranger.key") },
      { KMS_ETCD_CERT: file("kms.pem"), KMS_ETCD_KEY: file("kms.key") },
    ];
    const results = await Promise.all(attempts.map((extra) => openStore(loadConfig(env(extra))).then(async (s) => (await s.close(), "opened"), (e: unknown) => e)));
    for (const r of results) {
      expect(r).toBeInstanceOf(StoreOpenError);
      expect((r as Error).message).toMatch(/^cannot reach etcd at https:\/\/127\.0\.0\.1:\d+: /);
    }
  }, 30_000);

  it("a CA file that cannot be read is named in the error", async () => {
    await expect(openStore(loadConfig(env({ KMS_ETCD_CA: file("missing.pem") })))).rejects.toThrow(/cannot read KMS_ETCD_CA \(.*missing\.pem\): ENOENT/);
  });
});
