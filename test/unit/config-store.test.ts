/** KMS_STORE and the KMS_ETCD_* settings: what is accepted, what is refused, and the refusal's words. */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseStore } from "../../src/config.js";

describe("store configuration", () => {
  it("defaults to the embedded LevelDB", () => {
    expect(parseStore({})).toEqual({ kind: "level" });
    expect(parseStore({ KMS_STORE: "level" })).toEqual({ kind: "level" });
    expect(loadConfig({}).store).toEqual({ kind: "level" });
  });

  it("reads etcd endpoints, prefix, limits and TLS files", () => {
    expect(parseStore({ KMS_STORE: "etcd", KMS_ETCD_ENDPOINTS: "http://127.0.0.1:2379, http://[::1]:2380,http://etcd-2.internal:2379" })).toEqual({
      kind: "etcd",
      endpoints: ["http://127.0.0.1:2379", "http://[::1]:2380", "http://etcd-2.internal:2379"],
      prefix: "",
      tls: undefined,
      maxTxnOps: 128,
      maxRequestBytes: 1_572_864,
    });
    const tls = parseStore({
      KMS_STORE: "ETCD",
      KMS_ETCD_ENDPOINTS: "https://10.0.0.1:2379",
      KMS_ETCD_PREFIX: "kms/prod/",
      KMS_ETCD_CA: "ca.pem",
      KMS_ETCD_CERT: "client.pem",
      KMS_ETCD_KEY: "client-key.pem",
      KMS_ETCD_MAX_TXN_OPS: "4096",
      KMS_ETCD_MAX_REQUEST_BYTES: "8388608",
    });
    expect(tls).toMatchObject({ kind: "etcd", prefix: "kms/prod/", maxTxnOps: 4096, maxRequestBytes: 8_388_608 });
    expect(tls.kind === "etcd" && tls.tls?.caFile).toMatch(/\/ca\.pem$/);
    expect(tls.kind === "etcd" && tls.tls?.keyFile).toMatch(/\/client-key\.pem$/);
  });

  it.each([
    [{ KMS_STORE: "redis" }, 'KMS_STORE must be level or etcd, got "redis"'],
    [{ KMS_STORE: "etcd" }, "KMS_STORE=etcd needs KMS_ETCD_ENDPOINTS"],
    [{ KMS_STORE: "etcd", KMS_ETCD_ENDPOINTS: "127.0.0.1:2379" }, 'KMS_ETCD_ENDPOINTS: "127.0.0.1:2379" is not http://host:port or https://host:port'],
    [{ KMS_STORE: "etcd", KMS_ETCD_ENDPOINTS: "http://h:70000" }, 'KMS_ETCD_ENDPOINTS: "http://h:70000" is not'],
    [{ KMS_STORE: "etcd", KMS_ETCD_ENDPOINTS: "http://a:2379,https://b:2379" }, "KMS_ETCD_ENDPOINTS must be all http:// or all https://"],
    [{ KMS_STORE: "etcd", KMS_ETCD_ENDPOINTS: "http://a:2379", KMS_ETCD_CA: "ca.pem" }, "KMS_ETCD_CA, KMS_ETCD_CERT and KMS_ETCD_KEY need https:// endpoints"],
    [{ KMS_STORE: "etcd", KMS_ETCD_ENDPOINTS: "https://a:2379", KMS_ETCD_CERT: "c.pem" }, "KMS_ETCD_CERT and KMS_ETCD_KEY go together"],
    [{ KMS_STORE: "etcd", KMS_ETCD_ENDPOINTS: "http://a:2379", KMS_ETCD_PREFIX: "has space/" }, "KMS_ETCD_PREFIX must be at most 256 printable ASCII characters"],
    [{ KMS_STORE: "etcd", KMS_ETCD_ENDPOINTS: "http://a:2379", KMS_ETCD_MAX_TXN_OPS: "8" }, "KMS_ETCD_MAX_TXN_OPS must be an integer in [16, 1000000]"],
    [{ KMS_STORE: "etcd", KMS_ETCD_ENDPOINTS: "http://a:2379", KMS_ETCD_MAX_REQUEST_BYTES: "1.5MiB" }, "KMS_ETCD_MAX_REQUEST_BYTES must be an integer"],
    [{ KMS_ETCD_ENDPOINTS: "http://a:2379" }, "KMS_ETCD_ENDPOINTS set but KMS_STORE is level: set KMS_STORE=etcd or unset them"],
    [{ KMS_STORE: "level", KMS_ETCD_PREFIX: "x/", KMS_ETCD_CA: "ca.pem" }, "KMS_ETCD_PREFIX, KMS_ETCD_CA set but KMS_STORE is level"],
  ])("refuses %o", (env, message) => {
    expect(() => parseStore(env)).toThrow(ConfigError);
    expect(() => parseStore(env)).toThrow(message);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
