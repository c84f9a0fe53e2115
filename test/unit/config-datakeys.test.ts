/** The hosted data keys' and HSM cluster's settings, read from the environment with their bounds. */
import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_HSM_CLUSTER_ID, loadConfig } from "../../src/config.js";

describe("KMS_HSM_CLUSTER_ID and KMS_DATA_KEY_LIMIT", () => {
  it("default to the documented cluster id and a million data keys", () => {
    const c = loadConfig({});
    expect(c.hsmClusterId).toBe(DEFAULT_HSM_CLUSTER_ID);
    expect(DEFAULT_HSM_CLUSTER_ID).toBe("tc-kms-cluster");
    expect(c.dataKeyLimit).toBe(1_000_000);
  });

  it("take a cluster id of 1 to 64 letters, digits, '-' and '_', but not Tencent's \"default\"", () => {
    expect(loadConfig({ KMS_HSM_CLUSTER_ID: "hsm-cluster_1" }).hsmClusterId).toBe("hsm-cluster_1");
    for (const bad of ["default", "has space", "a/b", "x".repeat(65), "-lead"]) expect(() => loadConfig({ KMS_HSM_CLUSTER_ID: bad }), bad).toThrow(ConfigError);
  });

  it("take a data key limit of 1 to 100,000,000", () => {
    expect(loadConfig({ KMS_DATA_KEY_LIMIT: "5" }).dataKeyLimit).toBe(5);
    for (const bad of ["0", "-1", "1.5", "many", "100000001"]) expect(() => loadConfig({ KMS_DATA_KEY_LIMIT: bad }), bad).toThrow(ConfigError);
  });
});
