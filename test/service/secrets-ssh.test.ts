/**
 * SSH key pair secrets: generated key pairs in OpenSSH's formats, checked by
 * OpenSSH itself (Debian's openssh-client): `ssh-keygen -y` derives the same
 * public key from the private one, `ssh-keygen -l` reads the public key.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretStatus, SshKeyType } from "../../gen/ssm/v1/ssm_pb.js";
import { codeOf, expectRefusedUnchanged, openHarness, type Harness } from "./secrets-harness.js";

let h: Harness;
let work: string;
let n = 0;

/** Runs ssh-keygen on the private key; returns the public key it derives. */
function derivePublic(privateKey: Uint8Array): string {
  const file = join(work, `key${++n}`);
  writeFileSync(file, privateKey, { mode: 0o600 });
  return execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" }).trim();
}

/** `ssh-keygen -l` on the public key: "<bits> SHA256:... <comment> (<TYPE>)". */
function fingerprint(publicKey: Uint8Array): string {
  const file = join(work, `pub${++n}.pub`);
  writeFileSync(file, Buffer.concat([Buffer.from(publicKey), Buffer.from("\n")]));
  return execFileSync("ssh-keygen", ["-l", "-f", file], { encoding: "utf8" }).trim();
}

beforeAll(async () => {
  h = await openHarness();
  work = mkdtempSync(join(tmpdir(), "ssh-"));
});
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await h.close();
});

describe("CreateSSHKeyPairSecret and GetSSHKeyPairValue", () => {
  it("generates an Ed25519 pair by default that ssh-keygen accepts", async () => {
    const out = await h.ssm("CreateSSHKeyPairSecret", { secretName: "deploy_key", projectId: 7n, description: "deploys" });
    expect(out).toMatchObject({ secretName: "deploy_key", sshKeyName: "deploy_key", tagCode: 0, tagMsg: "Success" });
    expect(out.sshKeyId).toMatch(/^skey-[a-z0-9]{8}$/);
    const pair = await h.ssm("GetSSHKeyPairValue", { secretName: "deploy_key" });
    expect(pair).toMatchObject({ sshKeyId: out.sshKeyId, projectId: 7n, sshKeyDescription: "deploys", sshKeyName: "deploy_key" });
    const pub = Buffer.from(pair.publicKey).toString();
    expect(pub).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]+=* deploy_key$/);
    const priv = Buffer.from(pair.privateKey).toString();
    expect(priv.startsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n")).toBe(true);
    // openssh-key-v1, unencrypted: the magic and "none" cipher open the base64 body.
    const body = Buffer.from(priv.split("\n").slice(1, -2).join(""), "base64");
    expect(body.subarray(0, 15).toString("latin1")).toBe("openssh-key-v1\0");
    expect(body.includes(Buffer.from("none"))).toBe(true);
    expect(derivePublic(pair.privateKey)).toBe(pub);
    expect(fingerprint(pair.publicKey)).toMatch(/^256 SHA256:[A-Za-z0-9+/]{43} deploy_key \(ED25519\)$/);
  });

  it("generates RSA-3072 when gRPC asks for it (ssh_key_type), and ssh-keygen agrees", async () => {
    await h.ssm("CreateSSHKeyPairSecret", { secretName: "rsa-key", projectId: 0n, sshKeyType: SshKeyType.RSA_3072, sshKeyName: "ops_rsa" });
    const pair = await h.ssm("GetSSHKeyPairValue", { secretName: "rsa-key" });
    const pub = Buffer.from(pair.publicKey).toString();
    expect(pub).toMatch(/^ssh-rsa AAAAB3NzaC1yc2E[A-Za-z0-9+/]+=* ops_rsa$/);
    expect(derivePublic(pair.privateKey)).toBe(pub);
    expect(fingerprint(pair.publicKey)).toMatch(/^3072 SHA256:\S+ ops_rsa \(RSA\)$/);
  });

  it("finds a pair by SSHKeyId alone, or by both names when they agree", async () => {
    const { sshKeyId } = await h.ssm("GetSSHKeyPairValue", { secretName: "deploy_key" });
    expect((await h.ssm("GetSSHKeyPairValue", { sshKeyId })).sshKeyName).toBe("deploy_key");
    expect((await h.ssm("GetSSHKeyPairValue", { sshKeyId, secretName: "deploy_key" })).sshKeyName).toBe("deploy_key");
    expect(await codeOf(h.ssm("GetSSHKeyPairValue", { sshKeyId, secretName: "rsa-key" }))).toBe("InvalidParameterValue");
    expect(await codeOf(h.ssm("GetSSHKeyPairValue", { sshKeyId: "skey-00000000" }))).toBe("ResourceNotFound");
    expect(await codeOf(h.ssm("GetSSHKeyPairValue", {}))).toBe("MissingParameter");
    expect(await codeOf(h.ssm("GetSSHKeyPairValue", { secretName: "nope" }))).toBe("ResourceNotFound");
  });

  it("names the pair after the key id when the secret name does not fit SSHKeyName's rules", async () => {
    const out = await h.ssm("CreateSSHKeyPairSecret", { secretName: "has-dashes", projectId: 0n });
    expect(out.sshKeyName).toBe(out.sshKeyId.replace("-", "_"));
    const d = await h.ssm("DescribeSecret", { secretName: "has-dashes" });
    expect(d).toMatchObject({ secretType: 2, resourceName: out.sshKeyName, projectId: 0n, status: SecretStatus.ENABLED });
  });

  it("refuses bad input with InvalidParameterValue and an existing name with ResourceInUse.SecretExists, writing nothing", async () => {
    await expectRefusedUnchanged(h, () => h.ssm("CreateSSHKeyPairSecret", { secretName: "x", projectId: 0n, sshKeyName: "bad-name" }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("CreateSSHKeyPairSecret", { secretName: "x", projectId: 0n, sshKeyName: "n".repeat(26) }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("CreateSSHKeyPairSecret", { secretName: "x", projectId: -1n }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("CreateSSHKeyPairSecret", { secretName: "x", projectId: 0n, sshKeyType: 9 as SshKeyType }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("CreateSSHKeyPairSecret", { secretName: "x", projectId: 0n, encryptType: 1 }), "InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("CreateSSHKeyPairSecret", { secretName: "deploy_key", projectId: 0n }), "ResourceInUse.SecretExists");
  });

  it("SSH secrets take no user versions and are read only through GetSSHKeyPairValue", async () => {
    expect(await codeOf(h.ssm("GetSecretValue", { secretName: "deploy_key", versionId: "SSM_Current" }))).toBe("InvalidParameterValue");
    await expectRefusedUnchanged(h, () => h.ssm("PutSecretValue", { secretName: "deploy_key", versionId: "v2", secretString: "x" }), "FailedOperation");
    await expectRefusedUnchanged(h, () => h.ssm("UpdateSecret", { secretName: "deploy_key", versionId: "SSM_Current", secretString: "x" }), "FailedOperation");
    await expectRefusedUnchanged(h, () => h.ssm("DeleteSecretVersion", { secretName: "deploy_key", versionId: "SSM_Current" }), "FailedOperation");
    await expectRefusedUnchanged(h, () => h.ssm("DisableSecretVersion", { secretName: "deploy_key", versionId: "SSM_Current" }), "FailedOperation");
    await h.ssm("CreateSecret", { secretName: "plain", secretString: "p" });
    expect(await codeOf(h.ssm("GetSSHKeyPairValue", { secretName: "plain" }))).toBe("InvalidParameterValue");
  });

  it("a disabled SSH secret answers ResourceUnavailable; delete takes RecoveryWindowInDays 0 only and drops the key id", async () => {
    const { sshKeyId } = await h.ssm("GetSSHKeyPairValue", { secretName: "has-dashes" });
    await h.ssm("DisableSecret", { secretName: "has-dashes" });
    expect(await codeOf(h.ssm("GetSSHKeyPairValue", { secretName: "has-dashes" }))).toBe("ResourceUnavailable");
    await expectRefusedUnchanged(h, () => h.ssm("DeleteSecret", { secretName: "has-dashes", recoveryWindowInDays: 7 }), "InvalidParameterValue");
    await h.ssm("DeleteSecret", { secretName: "has-dashes", cleanSshKey: true });
    expect(await codeOf(h.ssm("GetSSHKeyPairValue", { sshKeyId }))).toBe("ResourceNotFound");
  });

  it("ListSecrets shows SSH secrets under SecretType 2 only", async () => {
    const ssh = await h.ssm("ListSecrets", { secretType: 2 });
    expect(ssh.secretMetadatas.map((s) => s.secretName).sort()).toEqual(["deploy_key", "rsa-key"]);
    expect(ssh.secretMetadatas.find((s) => s.secretName === "rsa-key")?.resourceName).toBe("ops_rsa");
    expect((await h.ssm("ListSecrets", {})).secretMetadatas.map((s) => s.secretName)).toEqual(["plain"]);
  });
});
