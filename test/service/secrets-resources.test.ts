/**
 * What a Secrets Manager call is about, for authorisation: the policy action
 * and the resource of every request (secretsRequestResources), checked with
 * the project's CAM policy engine as the pipeline will check them.
 */
import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretsManagerService } from "../../gen/ssm/v1/ssm_pb.js";
import { evaluate, parsePolicy, RESOURCE_TAG_KEY } from "../../src/access/policy/index.js";
import { secretsPolicyAction, secretsRequestResources, secretsResources } from "../../src/secrets/resources.js";
import { ACCOUNT, openHarness, REGION, type Harness } from "./secrets-harness.js";

let h: Harness;
let pkg: Uint8Array;
let sshKeyId: string;
const account = ACCOUNT.toString();
const SUB = 100000000777n;
const caller = { account, region: REGION, principalUin: SUB.toString() };
const base = `qcs::ssm:${REGION}:uin/${account}`;

function request(name: string, init: object): { method: (typeof SecretsManagerService.methods)[number]; req: MessageShape<DescMessage> } {
  const method = SecretsManagerService.methods.find((m) => m.name === name)!;
  return { method, req: create(method.input, init as never) as MessageShape<DescMessage> };
}

async function resourcesOf(name: string, init: object) {
  const { method, req } = request(name, init);
  return secretsRequestResources(h.secrets.repo, method, req, caller);
}

beforeAll(async () => {
  h = await openHarness();
  // Created by a sub-user: its uin is the secret's creator.
  const sub = h.call({ principal: { uin: SUB, account: ACCOUNT, name: "dev", root: false, operator: false, credential: "t" } });
  await h.ssm("CreateSecret", { secretName: "app-db", secretString: "x", tags: [{ tagKey: "env", tagValue: "prod" }] }, sub);
  sshKeyId = (await h.ssm("CreateSSHKeyPairSecret", { secretName: "app-ssh", projectId: 0n })).sshKeyId;
  const cmk = (await h.kmsCall("CreateKey", { alias: "res" })).keyId;
  pkg = (await h.ssm("ExportSecret", { secretName: "app-db", kmsKeyId: cmk })).package;
});
afterAll(async () => h.close());

describe("secretsRequestResources", () => {
  it("names an existing secret with its creator and tags", async () => {
    expect(await resourcesOf("GetSecretValue", { secretName: "app-db", versionId: "v" })).toEqual([
      { resource: `${base}:secret/creatorUin/${SUB}/app-db`, tags: [{ key: "env", value: "prod" }] },
    ]);
    expect((await resourcesOf("DescribeSecret", { secretName: "app-ssh" }))[0]!.resource).toBe(`${base}:secret/creatorUin/${account}/app-ssh`);
  });

  it("a name that does not exist carries the account as creator; a secret being created, the caller", async () => {
    expect((await resourcesOf("DeleteSecret", { secretName: "ghost" }))[0]).toEqual({ resource: `${base}:secret/creatorUin/${account}/ghost`, tags: [] });
    expect((await resourcesOf("CreateSecret", { secretName: "new-one" }))[0]!.resource).toBe(`${base}:secret/creatorUin/${SUB}/new-one`);
    expect((await resourcesOf("CreateSSHKeyPairSecret", { secretName: "new-ssh" }))[0]!.resource).toBe(`${base}:secret/creatorUin/${SUB}/new-ssh`);
  });

  it("ListSecrets, GetServiceStatus and GetRegions are about the account", async () => {
    for (const name of ["ListSecrets", "GetServiceStatus", "GetRegions"]) expect(await resourcesOf(name, {})).toEqual([{ resource: `${base}:*`, tags: [] }]);
  });

  it("GetSSHKeyPairValue by key id names the secret holding it; ImportSecret names the package's secret or the new name", async () => {
    expect((await resourcesOf("GetSSHKeyPairValue", { sshKeyId }))[0]!.resource).toBe(`${base}:secret/creatorUin/${account}/app-ssh`);
    expect((await resourcesOf("ImportSecret", { package: pkg }))[0]!.resource).toBe(`${base}:secret/creatorUin/${SUB}/app-db`);
    expect((await resourcesOf("ImportSecret", { package: pkg, secretName: "copy" }))[0]!.resource).toBe(`${base}:secret/creatorUin/${SUB}/copy`);
    expect((await resourcesOf("ImportSecret", { package: new Uint8Array([1, 2]) }))[0]!.resource).toBe(`${base}:secret/creatorUin/${SUB}/`);
  });

  it("every method has a policy action ssm:<Action> and a resource", async () => {
    for (const m of SecretsManagerService.methods) {
      expect(secretsPolicyAction(m)).toBe(`ssm:${m.name}`);
      const got = await secretsRequestResources(h.secrets.repo, m, create(m.input) as MessageShape<DescMessage>, caller);
      expect(got.length).toBe(1);
      expect(got[0]!.resource.startsWith(base)).toBe(true);
    }
  });
});

describe("with the CAM policy engine", () => {
  const policy = parsePolicy(
    JSON.stringify({
      version: "2.0",
      statement: [
        { effect: "allow", action: ["ssm:GetSecretValue", "ssm:DescribeSecret"], resource: [`qcs::ssm::uin/${account}:secret/creatorUin/*/app-*`] },
        { effect: "deny", action: ["ssm:*"], resource: ["*"], condition: { string_equal: { [RESOURCE_TAG_KEY]: ["env&prod"] } } },
        { effect: "allow", action: ["ssm:ListSecrets"], resource: [`qcs::ssm::uin/${account}:*`] },
      ],
    }),
  );
  const decide = async (name: string, init: object) => {
    const { method, req } = request(name, init);
    const [r] = await secretsRequestResources(h.secrets.repo, method, req, caller);
    const context = new Map<string, string[]>(r!.tags.length > 0 ? [[RESOURCE_TAG_KEY, r!.tags.map((t) => `${t.key}&${t.value}`)]] : []);
    return evaluate([policy], { action: secretsPolicyAction(method), resource: r!.resource, context });
  };

  it("allows by name pattern, denies by tag, and keeps account actions apart", async () => {
    expect(await decide("DescribeSecret", { secretName: "app-ssh" })).toBe("allow");
    expect(await decide("GetSecretValue", { secretName: "app-db", versionId: "v" })).toBe("deny");
    expect(await decide("GetSecretValue", { secretName: "other", versionId: "v" })).toBe("implicit-deny");
    expect(await decide("DeleteSecret", { secretName: "app-ssh" })).toBe("implicit-deny");
    expect(await decide("ListSecrets", {})).toBe("allow");
  });
});

describe("secretsResources (what the pipeline asks)", () => {
  const flowOwner = async (_s: { account: string; region: string }, flowId: number) => (flowId === 7 ? "app-db" : undefined);
  const adapter = () => secretsResources(h.secrets.repo, flowOwner);
  const at = (name: string) => SecretsManagerService.methods.find((m) => m.name === name)!;

  it("gives each secret's tags as qcs:resource_tag values key&value, and none for a secret without tags", async () => {
    const { method, req } = request("GetSecretValue", { secretName: "app-db", versionId: "v" });
    expect(await adapter().resources(method, req, caller)).toEqual([{ resource: `${base}:secret/creatorUin/${SUB}/app-db`, conditions: [["qcs:resource_tag", ["env&prod"]]] }]);
    const ssh = request("DescribeSecret", { secretName: "app-ssh" });
    expect(await adapter().resources(ssh.method, ssh.req, caller)).toEqual([{ resource: `${base}:secret/creatorUin/${account}/app-ssh` }]);
  });

  it("DescribeAsyncRequestInfo is about the secret whose flow it names; the instance calls and DescribeSupportedProducts about the account", async () => {
    const flow = request("DescribeAsyncRequestInfo", { flowId: 7n });
    expect((await adapter().resources(flow.method, flow.req, caller))[0]?.resource).toBe(`${base}:secret/creatorUin/${SUB}/app-db`);
    const other = request("DescribeAsyncRequestInfo", { flowId: 8n });
    expect((await adapter().resources(other.method, other.req, caller))[0]?.resource).toBe(`${base}:secret/creatorUin/${account}/`);
    for (const name of ["RegisterDatabaseInstance", "ListDatabaseInstances", "DeregisterDatabaseInstance", "DescribeSupportedProducts"]) {
      const r = request(name, {});
      expect(await adapter().resources(r.method, r.req, caller)).toEqual([{ resource: `${base}:*` }]);
    }
    const created = request("CreateProductSecret", { secretName: "new-db" });
    expect((await adapter().resources(created.method, created.req, caller))[0]?.resource).toBe(`${base}:secret/creatorUin/${SUB}/new-db`);
  });

  it("names the secret, instance, SSH key or flow a request is about, for its audit event", () => {
    const subjects = (name: string, init: object) => adapter().subjects(at(name), create(at(name).input, init as never) as MessageShape<DescMessage>);
    expect(subjects("GetSecretValue", { secretName: "app-db" })).toEqual(["secret/app-db"]);
    expect(subjects("ImportSecret", { package: pkg })).toEqual(["secret/app-db"]);
    expect(subjects("RegisterDatabaseInstance", { instanceId: "cdb-1" })).toEqual(["instance/cdb-1"]);
    expect(subjects("GetSSHKeyPairValue", { sshKeyId })).toEqual([`ssh-key/${sshKeyId}`]);
    expect(subjects("DescribeAsyncRequestInfo", { flowId: 12n })).toEqual(["flow/12"]);
    expect(subjects("ListSecrets", {})).toEqual([]);
  });
});
