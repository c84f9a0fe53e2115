/**
 * Accounts and organisations in process, through the real pipeline: the
 * operator API and its refusals; an organisation's principals acting on a
 * member's keys with MemberAccount/MemberAccounts when allowed (its root
 * always, a sub-user by policy on the member's resources), refused otherwise
 * with one answer whether the account is not a member or does not exist;
 * every such call audited in both accounts and in no other.
 */
import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/kms/v1/admin_pb.js";
import { KeyManagementService, KeyState } from "../../gen/kms/v1/kms_pb.js";
import { AccountStatus, OperatorService } from "../../gen/kms/v1/operator_pb.js";
import { TrustService } from "../../gen/kms/v1/trust_pb.js";
import type { Credentials } from "../../src/pipeline/credentials.js";
import type { Served } from "../../src/pipeline/pipeline.js";
import { callMethod, expectOk, openInProcess, type InProcess } from "../helpers/in-process.js";

const DEFAULT = 100000000001n;

let kms: InProcess;
const operator = (): Credentials => ({ kind: "token", token: kms.token });
const token = (t: string): Credentials => ({ kind: "token", token: t });

function call<M extends { input: DescMessage }>(method: M, request: MessageInitShape<M["input"]>, credentials: Credentials): Promise<Served> {
  return callMethod(kms.core.pipeline, method as never, request as never, credentials);
}
async function ok<T = Record<string, unknown>>(method: { input: DescMessage }, request: object, credentials: Credentials): Promise<T> {
  return expectOk<T>(call(method as never, request as never, credentials));
}
async function code(served: Promise<Served>): Promise<string> {
  const s = await served;
  return s.ok ? "ok" : s.outcome.code;
}
async function refusal(served: Promise<Served>): Promise<{ code: string; message: string }> {
  const s = await served;
  if (s.ok) throw new Error("expected a refusal");
  return { code: s.outcome.code, message: s.outcome.message };
}

interface Tenant {
  uin: bigint;
  root: Credentials;
  secretId: string;
}

async function newAccount(name: string, extra: object = {}): Promise<Tenant> {
  const r = await ok<{ account: { uin: bigint }; rootToken: string; rootSecretId: string }>(OperatorService.method.createAccount, { name, ...extra }, operator());
  return { uin: r.account.uin, root: token(r.rootToken), secretId: r.rootSecretId };
}

/** A sub-user of `tenant` with one policy, and its token. */
async function subUser(tenant: Tenant, name: string, statement: object[]): Promise<{ uin: bigint; creds: Credentials }> {
  const p = await ok<{ principal: { uin: bigint } }>(AdminService.method.createPrincipal, { name }, tenant.root);
  await ok(AdminService.method.createPolicy, { name: `${name}-policy`, document: JSON.stringify({ version: "2.0", statement }) }, tenant.root);
  await ok(AdminService.method.attachPolicy, { principalUin: p.principal.uin, policyName: `${name}-policy` }, tenant.root);
  const t = await ok<{ secret: string }>(AdminService.method.createToken, { principalUin: p.principal.uin }, tenant.root);
  return { uin: p.principal.uin, creds: token(t.secret) };
}

const events = async (tenant: Tenant, filter: object = {}) =>
  (await ok<{ events: { action: string; result: string; accountUin: bigint; memberAccountUins: bigint[]; principalUin: bigint; keyIds: string[] }[] }>(AdminService.method.queryAuditEvents, { limit: 1000, ...filter }, tenant.root)).events;

beforeAll(async () => {
  kms = await openInProcess();
});
afterAll(async () => {
  await kms?.dispose();
});

describe("the operator API", () => {
  it("creates an account whose root's token and access key work at once, and lists it", async () => {
    const created = await ok<{ account: { uin: bigint; name: string; status: AccountStatus; default: boolean; organizationUin: bigint }; rootToken: string; rootSecretId: string; rootSecretKey: string }>(
      OperatorService.method.createAccount,
      { name: "acme", description: "a tenant" },
      operator(),
    );
    expect(created.account).toMatchObject({ name: "acme", status: AccountStatus.ENABLED, default: false, organizationUin: 0n });
    expect(created.rootSecretId).toMatch(/^AKID[A-Za-z0-9]{32}$/);
    expect(created.rootSecretKey).toMatch(/^[A-Za-z0-9]{32}$/);
    // The token authenticates as the new account's root; the access key is the directory's.
    const principals = await ok<{ principals: { uin: bigint; root: boolean; accountUin: bigint }[] }>(AdminService.method.listPrincipals, {}, token(created.rootToken));
    expect(principals.principals).toEqual([expect.objectContaining({ uin: created.account.uin, root: true, accountUin: created.account.uin })]);
    expect(kms.core.domain.directory.accessKey(created.rootSecretId)?.identity).toMatchObject({ uin: created.account.uin, account: created.account.uin, root: true, operator: false });
    const listed = await ok<{ accounts: { uin: bigint; name: string; default: boolean }[] }>(OperatorService.method.listAccounts, {}, operator());
    expect(listed.accounts[0]).toMatchObject({ uin: DEFAULT, default: true });
    expect(listed.accounts.map((a) => a.name)).toContain("acme");
    // Its keys are its own, with its name on them.
    const key = await ok<{ keyId: string }>(KeyManagementService.method.createKey, { alias: "acme-key" }, token(created.rootToken));
    const md = await ok<{ keyMetadata: { accountUin: bigint; accountName: string; creatorUin: bigint } }>(KeyManagementService.method.describeKey, { keyId: key.keyId }, token(created.rootToken));
    expect(md.keyMetadata).toMatchObject({ accountUin: created.account.uin, accountName: "acme", creatorUin: created.account.uin });
  });

  it("takes a chosen uin and app id, and refuses a taken name or uin and a malformed one, writing nothing", async () => {
    const chosen = await newAccount("chosen-uin", { uin: 200000000002n, appId: 1250000000n });
    expect(chosen.uin).toBe(200000000002n);
    expect(await code(call(OperatorService.method.createAccount, { name: "chosen-uin" }, operator()))).toBe("ResourceInUse");
    expect(await code(call(OperatorService.method.createAccount, { name: "again", uin: 200000000002n }, operator()))).toBe("ResourceInUse");
    expect(await code(call(OperatorService.method.createAccount, { name: "mine", uin: DEFAULT }, operator()))).toBe("ResourceInUse");
    expect(await code(call(OperatorService.method.createAccount, { name: "tiny", uin: 42n }, operator()))).toBe("InvalidParameterValue");
    expect(await code(call(OperatorService.method.createAccount, { name: "bad name!" }, operator()))).toBe("InvalidParameterValue");
    expect(await code(call(OperatorService.method.createAccount, { name: "long", description: "x".repeat(1025) }, operator()))).toBe("InvalidParameter");
    const names = (await ok<{ accounts: { name: string }[] }>(OperatorService.method.listAccounts, {}, operator())).accounts.map((a) => a.name);
    expect(names.filter((n) => ["again", "mine", "tiny", "bad name!", "long"].includes(n))).toEqual([]);
  });

  it("is the operator's alone: another account's root, and the operator's own sub-users whatever their policies, are refused", async () => {
    const other = await newAccount("not-operator");
    const everything = await subUser({ uin: DEFAULT, root: operator(), secretId: "" }, "all-powerful", [{ effect: "allow", action: ["*"], resource: ["*"] }]);
    for (const who of [other.root, everything.creds]) {
      expect(await code(call(OperatorService.method.listAccounts, {}, who))).toBe("UnauthorizedOperation");
      expect(await code(call(OperatorService.method.createAccount, { name: "sneaky" }, who))).toBe("UnauthorizedOperation");
      expect(await code(call(OperatorService.method.disableAccount, { uin: other.uin }, who))).toBe("UnauthorizedOperation");
      // The keyring serves every account: it is the operator's too.
      expect(await code(call(TrustService.method.getKeyringStatus, {}, who))).toBe("UnauthorizedOperation");
    }
    // The sub-user's grant is otherwise honoured within its own account.
    expect(await code(call(KeyManagementService.method.listKeys, {}, everything.creds))).toBe("ok");
  });

  it("disables an account (every credential stops at once) and enables it again; never the default account", async () => {
    const t = await newAccount("pausable");
    const sub = await subUser(t, "worker", [{ effect: "allow", action: ["kms:*"], resource: ["*"] }]);
    expect(await code(call(KeyManagementService.method.listKeys, {}, sub.creds))).toBe("ok");
    await ok(OperatorService.method.disableAccount, { uin: t.uin }, operator());
    expect(await code(call(KeyManagementService.method.listKeys, {}, t.root))).toBe("AuthFailure.TokenFailure");
    expect(await code(call(KeyManagementService.method.listKeys, {}, sub.creds))).toBe("AuthFailure.TokenFailure");
    expect(kms.core.domain.directory.accessKey(t.secretId)).toBeUndefined();
    await ok(OperatorService.method.enableAccount, { uin: t.uin }, operator());
    expect(await code(call(KeyManagementService.method.listKeys, {}, sub.creds))).toBe("ok");
    expect(await code(call(OperatorService.method.disableAccount, { uin: DEFAULT }, operator()))).toBe("UnsupportedOperation");
    expect(await code(call(OperatorService.method.disableAccount, { uin: 999999999n }, operator()))).toBe("ResourceNotFound");
    expect(await code(call(KeyManagementService.method.listKeys, {}, operator()))).toBe("ok");
  });

  it("refuses organisations that are not one level deep, and the default account as a member", async () => {
    const org = await newAccount("org-x");
    const member = await newAccount("member-x");
    const third = await newAccount("third-x");
    const set = (m: bigint, o: bigint) => code(call(OperatorService.method.setAccountOrganization, { memberUin: m, organizationUin: o }, operator()));
    expect(await set(member.uin, member.uin)).toBe("UnsupportedOperation");
    expect(await set(DEFAULT, org.uin)).toBe("UnsupportedOperation");
    expect(await set(member.uin, 999999999n)).toBe("ResourceNotFound");
    expect(await set(999999999n, org.uin)).toBe("ResourceNotFound");
    expect(await set(member.uin, org.uin)).toBe("ok");
    expect(await set(third.uin, member.uin)).toBe("UnsupportedOperation"); // a member is no organisation
    expect(await set(org.uin, third.uin)).toBe("UnsupportedOperation"); // an organisation with members is no member
    expect(await set(member.uin, 0n)).toBe("ok");
    expect(await set(org.uin, third.uin)).toBe("ok"); // without members it may join one
  });

  it("audits every operator call in the operator's trail", async () => {
    const mine = (await events({ uin: DEFAULT, root: operator(), secretId: "" })).filter((e) => e.action.startsWith("kmsoperator:"));
    expect(mine.map((e) => e.action)).toEqual(expect.arrayContaining(["kmsoperator:CreateAccount", "kmsoperator:DisableAccount", "kmsoperator:SetAccountOrganization"]));
    expect(mine.some((e) => e.result === "UnsupportedOperation")).toBe(true);
  });
});

describe("organisations", () => {
  let org: Tenant;
  let member: Tenant;
  let outsider: Tenant;
  let memberKey: string;
  let outsiderKey: string;
  let orgKey: string;

  beforeAll(async () => {
    org = await newAccount("org");
    member = await newAccount("member", { appId: 1250000001n });
    outsider = await newAccount("outsider");
    await ok(OperatorService.method.setAccountOrganization, { memberUin: member.uin, organizationUin: org.uin }, operator());
    // A second apart, so creation order is unambiguous.
    memberKey = (await ok<{ keyId: string }>(KeyManagementService.method.createKey, { alias: "payments" }, member.root)).keyId;
    kms.clock.advance(1000);
    outsiderKey = (await ok<{ keyId: string }>(KeyManagementService.method.createKey, { alias: "payments" }, outsider.root)).keyId;
    kms.clock.advance(1000);
    orgKey = (await ok<{ keyId: string }>(KeyManagementService.method.createKey, { alias: "payments" }, org.root)).keyId;
    kms.clock.advance(1000);
  });

  const inMember = (m: bigint, appId = 0n) => ({ memberAccount: { memberUin: m, memberAppId: appId } });

  it("lets the organisation's root manage a member's keys, and only with MemberAccount", async () => {
    const md = await ok<{ keyMetadata: { accountUin: bigint; accountName: string; accountAppId: bigint } }>(KeyManagementService.method.describeKey, { keyId: memberKey, ...inMember(member.uin) }, org.root);
    expect(md.keyMetadata).toMatchObject({ accountUin: member.uin, accountName: "member", accountAppId: 1250000001n });
    await ok(KeyManagementService.method.disableKey, { keyId: memberKey, ...inMember(member.uin, 1250000001n) }, org.root);
    const seen = await ok<{ keyMetadata: { keyState: KeyState } }>(KeyManagementService.method.describeKey, { keyId: memberKey }, member.root);
    expect(seen.keyMetadata.keyState).toBe(KeyState.DISABLED);
    await ok(KeyManagementService.method.enableKey, { keyId: memberKey, ...inMember(member.uin) }, org.root);
    // The alias is unique in the member's scope: the organisation's own "payments" does not count, the member's does.
    expect(await code(call(KeyManagementService.method.updateAlias, { keyId: memberKey, alias: "payments", ...inMember(member.uin) }, org.root))).toBe("ok");
    await ok(KeyManagementService.method.createKey, { alias: "payments-2" }, member.root);
    expect(await code(call(KeyManagementService.method.updateAlias, { keyId: memberKey, alias: "payments-2", ...inMember(member.uin) }, org.root))).toBe("InvalidParameterValue.AliasAlreadyExists");
    // Without MemberAccount the call is in the organisation's own scope, where the key is not.
    expect(await code(call(KeyManagementService.method.describeKey, { keyId: memberKey }, org.root))).toBe("ResourceUnavailable.CmkNotFound");
    // Naming its own account is the same as naming none.
    expect(await code(call(KeyManagementService.method.describeKey, { keyId: orgKey, ...inMember(org.uin) }, org.root))).toBe("ok");
  });

  it("refuses a non-member, a missing account, a wrong app id, and the other direction, with one answer", async () => {
    const refused = async (m: bigint, who: Credentials, keyId: string, appId = 0n) => refusal(call(KeyManagementService.method.describeKey, { keyId, ...inMember(m, appId) }, who));
    const answers = [await refused(outsider.uin, org.root, outsiderKey), await refused(987654321987n, org.root, outsiderKey), await refused(member.uin, org.root, memberKey, 7n), await refused(org.uin, member.root, orgKey)];
    for (const a of answers) expect(a.code).toBe("UnauthorizedOperation");
    expect(new Set(answers.map((a) => a.message.replace(/\d+/g, "N"))).size).toBe(1);
    expect(await code(call(KeyManagementService.method.describeKey, { keyId: memberKey, memberAccount: { memberUin: 0n, memberAppId: 0n } }, org.root))).toBe("MissingParameter");
  });

  it("lets an organisation's sub-user act on a member by its policies: the member's resources, that action only", async () => {
    const describer = await subUser(org, "member-auditor", [{ effect: "allow", action: ["kms:DescribeKey", "kms:ListKeyDetail"], resource: [`qcs::kms::uin/${member.uin}:*`, `qcs::kms::uin/${member.uin}:key/*`] }]);
    expect(await code(call(KeyManagementService.method.describeKey, { keyId: memberKey, ...inMember(member.uin) }, describer.creds))).toBe("ok");
    expect(await code(call(KeyManagementService.method.disableKey, { keyId: memberKey, ...inMember(member.uin) }, describer.creds))).toBe("UnauthorizedOperation");
    // Its grant names the member's account: its own organisation's keys are not in it.
    expect(await code(call(KeyManagementService.method.describeKey, { keyId: orgKey }, describer.creds))).toBe("UnauthorizedOperation");
    const none = await subUser(org, "no-grant", [{ effect: "allow", action: ["kms:ListKeys"], resource: ["*"] }]);
    expect(await code(call(KeyManagementService.method.describeKey, { keyId: memberKey, ...inMember(member.uin) }, none.creds))).toBe("UnauthorizedOperation");
    // A missing key in the member, for the narrow grant: denied alike... and for the root, not found.
    expect(await code(call(KeyManagementService.method.disableKey, { keyId: "00000000-0000-4000-8000-000000000000", ...inMember(member.uin) }, describer.creds))).toBe("UnauthorizedOperation");
    expect(await code(call(KeyManagementService.method.describeKey, { keyId: "00000000-0000-4000-8000-000000000000", ...inMember(member.uin) }, org.root))).toBe("ResourceUnavailable.CmkNotFound");
  });

  it("lists several accounts' keys with MemberAccounts, each marked with its account", async () => {
    const both = await ok<{ totalCount: number; keyMetadatas: { keyId: string; accountUin: bigint }[] }>(
      KeyManagementService.method.listKeyDetail,
      { allKeyUsages: true, memberAccounts: [{ memberUin: member.uin, memberAppId: 0n }, { memberUin: org.uin, memberAppId: 0n }] },
      org.root,
    );
    const byAccount = new Map(both.keyMetadatas.map((k) => [k.keyId, k.accountUin]));
    expect(byAccount.get(memberKey)).toBe(member.uin);
    expect(byAccount.get(orgKey)).toBe(org.uin);
    expect(byAccount.has(outsiderKey)).toBe(false);
    expect(both.totalCount).toBe(both.keyMetadatas.length);
    // Paged across both, in creation order.
    const first = await ok<{ totalCount: number; keyMetadatas: { keyId: string }[] }>(KeyManagementService.method.listKeyDetail, { allKeyUsages: true, orderType: 1, limit: 1, memberAccounts: [{ memberUin: member.uin }, { memberUin: org.uin }] }, org.root);
    expect(first.totalCount).toBe(both.totalCount);
    expect(first.keyMetadatas.map((k) => k.keyId)).toEqual([memberKey]);
    expect(await code(call(KeyManagementService.method.listKeyDetail, { memberAccounts: [{ memberUin: outsider.uin }] }, org.root))).toBe("UnauthorizedOperation");
    expect(await code(call(KeyManagementService.method.listKeyDetail, { memberAccounts: [{ memberUin: member.uin }, { memberUin: member.uin }] }, org.root))).toBe("InvalidParameterValue");
    expect(await code(call(KeyManagementService.method.listKeyDetail, { memberAccounts: Array.from({ length: 101 }, () => ({ memberUin: member.uin })) }, org.root))).toBe("InvalidParameterValue");
  });

  it("audits each member call in both accounts' trails, naming both, and in no other", async () => {
    const orgEvents = await events(org, { action: "kms:DisableKey" });
    const memberEvents = await events(member, { action: "kms:DisableKey" });
    const done = orgEvents.filter((e) => e.result === "Success" && e.keyIds.includes(memberKey));
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ accountUin: org.uin, memberAccountUins: [member.uin] });
    expect(memberEvents.filter((e) => e.result === "Success" && e.keyIds.includes(memberKey))).toEqual(done);
    // The sub-user's denied attempt on the member is in both trails too.
    expect(memberEvents.some((e) => e.result === "UnauthorizedOperation" && e.accountUin === org.uin)).toBe(true);
    // A listing over several accounts names each of them.
    const listing = (await events(member, { action: "kms:ListKeyDetail" })).filter((e) => e.accountUin === org.uin && e.result === "Success");
    expect(listing[0]?.memberAccountUins).toEqual([member.uin]);
    // Nothing of it reaches an account that is not involved.
    expect((await events(outsider)).some((e) => e.accountUin !== outsider.uin)).toBe(false);
  });

  it("ends with the membership, and a disabled member is out of reach", async () => {
    await ok(OperatorService.method.setAccountOrganization, { memberUin: member.uin, organizationUin: 0n }, operator());
    expect(await code(call(KeyManagementService.method.describeKey, { keyId: memberKey, ...inMember(member.uin) }, org.root))).toBe("UnauthorizedOperation");
    await ok(OperatorService.method.setAccountOrganization, { memberUin: member.uin, organizationUin: org.uin }, operator());
    expect(await code(call(KeyManagementService.method.describeKey, { keyId: memberKey, ...inMember(member.uin) }, org.root))).toBe("ok");
    await ok(OperatorService.method.disableAccount, { uin: member.uin }, operator());
    expect(await code(call(KeyManagementService.method.describeKey, { keyId: memberKey, ...inMember(member.uin) }, org.root))).toBe("UnauthorizedOperation");
    await ok(OperatorService.method.enableAccount, { uin: member.uin }, operator());
  });
});
