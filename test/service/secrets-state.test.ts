/**
 * The lifecycle, every action × every secret state: what succeeds, where it
 * leads, and the documented code of every refusal (each refusal writes
 * nothing). The expected table is written from SSM's documentation, not from
 * src/secrets/state.ts. Creating and Failed belong to cloud-product secrets,
 * which no action here makes, so those records are put in place directly.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretStatus } from "../../gen/ssm/v1/ssm_pb.js";
import type { SecretStatus as Status } from "../../src/secrets/secret.js";
import { ACCOUNT, codeOf, expectRefusedUnchanged, openHarness, REGION, type Harness } from "./secrets-harness.js";

let h: Harness;
let cmk: string;
let pkg: Uint8Array;

const STATES: readonly Status[] = ["Enabled", "Disabled", "PendingDelete", "Creating", "Failed"];
const scope = { account: ACCOUNT.toString(), region: REGION };

/** A user-defined secret with one version "v1", brought into `state`. */
async function secretIn(state: Status, name: string): Promise<void> {
  await h.ssm("CreateSecret", { secretName: name, versionId: "v1", secretString: "value-1", kmsKeyId: cmk });
  if (state === "Enabled") return;
  await h.ssm("DisableSecret", { secretName: name });
  if (state === "Disabled") return;
  if (state === "PendingDelete") {
    await h.ssm("DeleteSecret", { secretName: name, recoveryWindowInDays: 7 });
    return;
  }
  const record = await h.secrets.repo.get(scope, name);
  await h.store.batch([h.secrets.repo.putRecord({ ...record!, status: state })]);
}

type Outcome = "ok" | string;
const FO = "FailedOperation";
const UNINIT = "ResourceUnavailable.ResourceUninitialized";

/** [action, request for secret `n`, outcome in Enabled, Disabled, PendingDelete, Creating, Failed]. */
const MATRIX: [string, (n: string) => object, Outcome[]][] = [
  ["GetSecretValue", (n) => ({ secretName: n, versionId: "v1" }), ["ok", "ResourceUnavailable.ResourceDisabled", "ResourceUnavailable.ResourcePendingDeleted", UNINIT, UNINIT]],
  ["PutSecretValue", (n) => ({ secretName: n, versionId: "v2", secretString: "value-2" }), ["ok", "ok", FO, FO, FO]],
  ["UpdateSecret", (n) => ({ secretName: n, versionId: "v1", secretString: "value-1b" }), ["ok", "ok", FO, FO, FO]],
  ["UpdateDescription", (n) => ({ secretName: n, description: "d" }), ["ok", "ok", FO, FO, FO]],
  ["DescribeSecret", (n) => ({ secretName: n }), ["ok", "ok", "ok", "ok", "ok"]],
  ["ListSecretVersionIds", (n) => ({ secretName: n }), ["ok", "ok", "ok", "ok", "ok"]],
  ["EnableSecret", (n) => ({ secretName: n }), ["ok", "ok", FO, UNINIT, UNINIT]],
  ["DisableSecret", (n) => ({ secretName: n }), ["ok", "ok", FO, UNINIT, UNINIT]],
  ["DeleteSecret", (n) => ({ secretName: n }), [FO, "ok", FO, UNINIT, "ok"]],
  ["RestoreSecret", (n) => ({ secretName: n }), [FO, FO, "ok", FO, FO]],
  ["DeleteSecretVersion", (n) => ({ secretName: n, versionId: "v1" }), ["ok", "ok", FO, UNINIT, UNINIT]],
  ["EnableSecretVersion", (n) => ({ secretName: n, versionId: "v1" }), ["ok", "ok", FO, UNINIT, UNINIT]],
  ["DisableSecretVersion", (n) => ({ secretName: n, versionId: "v1" }), ["ok", "ok", FO, UNINIT, UNINIT]],
  ["UpdateSecretVersion", (n) => ({ secretName: n, versionId: "v1", validTo: 4102444800n }), ["ok", "ok", FO, UNINIT, UNINIT]],
  ["DescribeSecretVersion", (n) => ({ secretName: n, versionId: "v1" }), ["ok", "ok", "ok", "ok", "ok"]],
  ["ExportSecret", (n) => ({ secretName: n, kmsKeyId: cmk }), ["ok", "ok", FO, UNINIT, UNINIT]],
  ["ImportSecret", (n) => ({ package: pkg, secretName: n, overwrite: true, secretKmsKeyId: cmk }), ["ok", "ok", FO, UNINIT, UNINIT]],
];

/** The status a successful change leaves (undefined: the secret is gone; "same": unchanged). */
const AFTER: Record<string, Partial<Record<Status, Status | "gone" | "same">>> = {
  EnableSecret: { Enabled: "Enabled", Disabled: "Enabled" },
  DisableSecret: { Enabled: "Disabled", Disabled: "Disabled" },
  DeleteSecret: { Disabled: "gone", Failed: "gone" },
  RestoreSecret: { PendingDelete: "Disabled" },
  // The package was exported from an Enabled secret: an import brings its state.
  ImportSecret: { Enabled: "Enabled", Disabled: "Enabled" },
};

const STATUS_NUMBER: Record<Status, SecretStatus> = {
  Enabled: SecretStatus.ENABLED,
  Disabled: SecretStatus.DISABLED,
  PendingDelete: SecretStatus.PENDING_DELETE,
  Creating: SecretStatus.CREATING,
  Failed: SecretStatus.FAILED,
};

beforeAll(async () => {
  h = await openHarness();
  cmk = (await h.kmsCall("CreateKey", { alias: "state-cmk" })).keyId;
  await h.ssm("CreateSecret", { secretName: "package-source", versionId: "p1", secretString: "from the package", kmsKeyId: cmk });
  pkg = (await h.ssm("ExportSecret", { secretName: "package-source", kmsKeyId: cmk })).package;
});
afterAll(async () => h.close());

describe("every action in every secret state", () => {
  for (const [action, request, outcomes] of MATRIX) {
    STATES.forEach((state, i) => {
      const expected = outcomes[i] as Outcome;
      it(`${action} on a ${state} secret: ${expected}`, async () => {
        const name = `${action}-${state}`;
        await secretIn(state, name);
        const run = () => h.ssm(action as "DescribeSecret", request(name) as { secretName: string });
        if (expected !== "ok") {
          await expectRefusedUnchanged(h, run, expected);
          return;
        }
        await run();
        const after = AFTER[action]?.[state] ?? "same";
        const d = await h.secrets.repo.get(scope, name);
        if (after === "gone") expect(d).toBeUndefined();
        else expect(d?.status).toBe(after === "same" ? state : after);
        if (after !== "gone") expect((await h.ssm("DescribeSecret", { secretName: name })).status).toBe(STATUS_NUMBER[after === "same" ? state : after]);
      });
    });
  }
});

describe("version states", () => {
  it("a Disabled version is not served (ResourceUnavailable.ResourceDisabled) while the others are; enabling it serves it again", async () => {
    await h.ssm("CreateSecret", { secretName: "vstate", versionId: "a", secretString: "A" });
    await h.ssm("PutSecretValue", { secretName: "vstate", versionId: "b", secretString: "B" });
    const off = await h.ssm("DisableSecretVersion", { secretName: "vstate", versionId: "a" });
    expect(off).toMatchObject({ secretName: "vstate", versionId: "a", state: 2 });
    expect(await codeOf(h.ssm("GetSecretValue", { secretName: "vstate", versionId: "a" }))).toBe("ResourceUnavailable.ResourceDisabled");
    expect((await h.ssm("GetSecretValue", { secretName: "vstate", versionId: "b" })).secretString).toBe("B");
    expect((await h.ssm("ListSecretVersionIds", { secretName: "vstate" })).versions.map((v) => [v.versionId, v.state])).toEqual([
      ["a", 2],
      ["b", 1],
    ]);
    // Idempotent, like DisableSecret on a Disabled secret.
    await h.ssm("DisableSecretVersion", { secretName: "vstate", versionId: "a" });
    expect((await h.ssm("EnableSecretVersion", { secretName: "vstate", versionId: "a" })).state).toBe(1);
    expect((await h.ssm("GetSecretValue", { secretName: "vstate", versionId: "a" })).secretString).toBe("A");
  });

  it("version operations on a missing version answer ResourceNotFound and write nothing", async () => {
    for (const action of ["EnableSecretVersion", "DisableSecretVersion", "DeleteSecretVersion", "DescribeSecretVersion"] as const)
      await expectRefusedUnchanged(h, () => h.ssm(action, { secretName: "vstate", versionId: "zz" }), "ResourceNotFound");
    await expectRefusedUnchanged(h, () => h.ssm("UpdateSecretVersion", { secretName: "vstate", versionId: "zz", validTo: 1n }), "ResourceNotFound");
    await expectRefusedUnchanged(h, () => h.ssm("EnableSecretVersion", { secretName: "nope", versionId: "a" }), "ResourceNotFound");
  });

  it("a disabled version of a disabled secret: the secret's refusal comes first", async () => {
    await h.ssm("DisableSecretVersion", { secretName: "vstate", versionId: "b" });
    await h.ssm("DisableSecret", { secretName: "vstate" });
    const e = await h.ssm("GetSecretValue", { secretName: "vstate", versionId: "b" }).catch((err: Error) => err);
    expect(e).toMatchObject({ code: "ResourceUnavailable.ResourceDisabled" });
    expect((e as Error).message).toContain("secret vstate");
  });
});
