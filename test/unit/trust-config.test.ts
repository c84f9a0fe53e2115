/** Root-of-trust settings and the unseal command line: every mistake is refused with a message naming it. */
import { describe, expect, it } from "vitest";
import { parseUnsealArgs, UsageError } from "../../src/cli/unseal.js";
import { ConfigError, loadConfig } from "../../src/config.js";

const base = { KMS_DATA_DIR: "/srv/kms" };
const p11 = { ...base, KMS_SEAL: "pkcs11", KMS_PKCS11_LIBRARY: "/usr/lib/softhsm/libsofthsm2.so", KMS_PKCS11_TOKEN_LABEL: "kms", KMS_PKCS11_PIN: "1234" };

describe("KMS_SEAL settings", () => {
  it("defaults to the development root", () => {
    expect(loadConfig(base).seal).toEqual({ mode: "dev" });
    expect(loadConfig({ ...base, KMS_SEAL: "SHAMIR" }).seal).toEqual({ mode: "shamir" });
  });

  it("reads a PKCS#11 configuration", () => {
    const seal = loadConfig({ ...p11, KMS_PKCS11_GENERATE_KEY: "true" }).seal;
    expect(seal).toEqual({ mode: "pkcs11", pkcs11: { library: "/usr/lib/softhsm/libsofthsm2.so", slot: undefined, tokenLabel: "kms", pin: { value: "1234" }, keyLabel: "tc-kms-root", generateKey: true } });
    const bySlot = loadConfig({ ...p11, KMS_PKCS11_TOKEN_LABEL: "", KMS_PKCS11_SLOT: "7", KMS_PKCS11_PIN: "", KMS_PKCS11_PIN_FILE: "/run/pin" }).seal;
    expect(bySlot).toMatchObject({ pkcs11: { slot: 7, tokenLabel: undefined, pin: { file: "/run/pin" } } });
  });

  it.each([
    [{ ...base, KMS_SEAL: "vault" }, /KMS_SEAL must be dev, pkcs11 or shamir/],
    [{ ...p11, KMS_PKCS11_LIBRARY: "" }, /needs KMS_PKCS11_LIBRARY/],
    [{ ...p11, KMS_PKCS11_SLOT: "1" }, /exactly one of KMS_PKCS11_SLOT and KMS_PKCS11_TOKEN_LABEL/],
    [{ ...p11, KMS_PKCS11_TOKEN_LABEL: "" }, /exactly one of KMS_PKCS11_SLOT and KMS_PKCS11_TOKEN_LABEL/],
    [{ ...p11, KMS_PKCS11_PIN_FILE: "/run/pin" }, /exactly one of KMS_PKCS11_PIN and KMS_PKCS11_PIN_FILE/],
    [{ ...p11, KMS_PKCS11_SLOT: "x", KMS_PKCS11_TOKEN_LABEL: "" }, /KMS_PKCS11_SLOT must be an integer/],
    [{ ...p11, KMS_PKCS11_GENERATE_KEY: "maybe" }, /KMS_PKCS11_GENERATE_KEY must be true or false/],
    [{ ...base, KMS_PKCS11_PIN: "1" }, /apply to KMS_SEAL=pkcs11 only/],
    [{ ...base, KMS_AUDIT_CHECKPOINT_FILE: "/srv/kms/db/cp" }, /outside KMS_DATA_DIR/],
    [{ ...base, KMS_AUDIT_CHECKPOINT_LOG: "true", KMS_AUDIT_CHECKPOINT_EVENTS: "0" }, /KMS_AUDIT_CHECKPOINT_EVENTS must be an integer/],
  ])("refuses %j", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("audit checkpoints: off unless a file or the log is named", () => {
    expect(loadConfig(base).auditCheckpoint).toBeUndefined();
    expect(loadConfig({ ...base, KMS_AUDIT_CHECKPOINT_LOG: "true" }).auditCheckpoint).toEqual({ file: undefined, log: true, everyEvents: 1000, intervalMs: 60_000 });
  });
});

describe("npm run unseal command line", () => {
  it("parses each command", () => {
    expect(parseUnsealArgs(["status"])).toEqual({ help: false, command: "status", url: undefined });
    expect(parseUnsealArgs(["init", "--shares", "5", "--threshold=3", "--url", "http://127.0.0.1:9"])).toEqual({ help: false, command: "init", url: "http://127.0.0.1:9", shares: 5, threshold: 3 });
    expect(parseUnsealArgs(["submit"])).toEqual({ help: false, command: "submit", url: undefined, share: undefined });
    expect(parseUnsealArgs(["submit", "kmss1.x.y"])).toMatchObject({ share: "kmss1.x.y" });
    expect(parseUnsealArgs(["-h"])).toEqual({ help: true });
  });

  it.each([[[]], [["unseal"]], [["init", "--shares", "5"]], [["status", "--shares", "2"]], [["submit", "a", "b"]], [["init", "--shares", "x", "--threshold", "2"]], [["status", "--bogus"]], [["reset", "--url"]]])("refuses %j", (argv) => {
    expect(() => parseUnsealArgs(argv)).toThrow(UsageError);
  });
});
