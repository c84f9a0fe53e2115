/**
 * Findings 7 and 8 of the attack on the running service, with accounts and
 * regions:
 *  7. admin actions name the principal they act on
 *     (qcs::cam::uin/<account>:uin/<principal>) and the policy
 *     (qcs::cam::uin/<account>:policy/<name>), so a sub-user allowed
 *     kmsadmin:CreateToken on itself cannot mint a token for anyone else;
 *  8. a key of another account or region, a key outside a narrow grant and a
 *     key that does not exist get one answer: CmkNotFound for a caller
 *     allowed on every key, UnauthorizedOperation with the same message for
 *     a narrower grant, never naming the owner.
 */
import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/kms/v1/admin_pb.js";
import { KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { OperatorService } from "../../gen/kms/v1/operator_pb.js";
import type { Credentials } from "../../src/pipeline/credentials.js";
import type { Served } from "../../src/pipeline/pipeline.js";
import { callMethod, expectOk, openInProcess, type InProcess } from "../helpers/in-process.js";

const A = 100000000001n;
const R1 = "ap-guangzhou";
const R2 = "ap-shanghai";

let kms: InProcess;
const root = (): Credentials => ({ kind: "token", token: kms.token });

function call<M extends { input: DescMessage }>(method: M, request: MessageInitShape<M["input"]>, credentials: Credentials, region = R1): Promise<Served> {
  return callMethod(kms.core.pipeline, method as never, request as never, credentials, { region });
}
async function ok<T = Record<string, unknown>>(method: { input: DescMessage }, request: object, credentials = root(), region = R1): Promise<T> {
  return expectOk<T>(call(method as never, request as never, credentials, region));
}
async function answer(served: Promise<Served>): Promise<string> {
  const s = await served;
  return s.ok ? "ok" : `${s.outcome.code}: ${s.outcome.message}`;
}

async function subUser(name: string, statement: object[]): Promise<{ uin: bigint; creds: Credentials }> {
  const p = await ok<{ principal: { uin: bigint } }>(AdminService.method.createPrincipal, { name });
  await ok(AdminService.method.createPolicy, { name: `${name}-policy`, document: JSON.stringify({ version: "2.0", statement }) });
  await ok(AdminService.method.attachPolicy, { principalUin: p.principal.uin, policyName: `${name}-policy` });
  const t = await ok<{ secret: string }>(AdminService.method.createToken, { principalUin: p.principal.uin });
  return { uin: p.principal.uin, creds: { kind: "token", token: t.secret } };
}

beforeAll(async () => {
  kms = await openInProcess({ KMS_REGIONS: `${R1},${R2}` });
});
afterAll(async () => {
  await kms?.dispose();
});

describe("admin actions scoped to principals (finding 7)", () => {
  it("a sub-user allowed token actions on itself manages its own tokens and no one else's", async () => {
    const other = await subUser("someone-else", [{ effect: "allow", action: ["kms:ListKeys"], resource: ["*"] }]);
    const othersToken = await ok<{ token: { tokenId: string } }>(AdminService.method.createToken, { principalUin: other.uin });
    const selfOnly = (uin: bigint) => [
      { effect: "allow", action: ["kmsadmin:CreateToken", "kmsadmin:ListTokens", "kmsadmin:DeleteToken", "kmsadmin:CreateAccessKey"], resource: [`qcs::cam::uin/${A}:uin/${uin}`] },
    ];
    // The policy names the principal, so make the principal first and attach it after.
    const me = await ok<{ principal: { uin: bigint } }>(AdminService.method.createPrincipal, { name: "self-service" });
    const uin = me.principal.uin;
    await ok(AdminService.method.createPolicy, { name: "self-service-policy", document: JSON.stringify({ version: "2.0", statement: selfOnly(uin) }) });
    await ok(AdminService.method.attachPolicy, { principalUin: uin, policyName: "self-service-policy" });
    const creds: Credentials = { kind: "token", token: (await ok<{ secret: string }>(AdminService.method.createToken, { principalUin: uin })).secret };

    // For itself, by default and by uin.
    const mine = await ok<{ token: { tokenId: string; principalUin: bigint } }>(AdminService.method.createToken, {}, creds);
    expect(mine.token.principalUin).toBe(uin);
    expect(await answer(call(AdminService.method.createToken, { principalUin: uin }, creds))).toBe("ok");
    expect(await answer(call(AdminService.method.createAccessKey, {}, creds))).toBe("ok");
    expect(await answer(call(AdminService.method.listTokens, { principalUin: uin }, creds))).toBe("ok");
    // For anyone else, or the account as a whole: denied, and the same denial for a token that does not exist.
    const denied = "UnauthorizedOperation: not allowed to kmsadmin:CreateToken on the requested resource";
    expect(await answer(call(AdminService.method.createToken, { principalUin: other.uin }, creds))).toBe(denied);
    expect(await answer(call(AdminService.method.createToken, { principalUin: A }, creds))).toBe(denied);
    expect(await answer(call(AdminService.method.createAccessKey, { principalUin: other.uin }, creds))).toBe("UnauthorizedOperation: not allowed to kmsadmin:CreateAccessKey on the requested resource");
    expect(await answer(call(AdminService.method.listTokens, {}, creds))).toMatch(/^UnauthorizedOperation/);
    const deleteOthers = await answer(call(AdminService.method.deleteToken, { tokenId: othersToken.token.tokenId }, creds));
    expect(deleteOthers).toBe("UnauthorizedOperation: not allowed to kmsadmin:DeleteToken on the requested resource");
    expect(await answer(call(AdminService.method.deleteToken, { tokenId: `kmst${"Q".repeat(16)}` }, creds))).toBe(deleteOthers);
    expect(await answer(call(AdminService.method.deleteToken, { tokenId: mine.token.tokenId }, creds))).toBe("ok");
    // The other principal's token still works.
    const tokens = await ok<{ tokens: { tokenId: string }[] }>(AdminService.method.listTokens, { principalUin: other.uin });
    expect(tokens.tokens.map((t) => t.tokenId)).toContain(othersToken.token.tokenId);
  });

  it("policy resources: attach only the policies a grant names, to the principals it names", async () => {
    const target = await subUser("attach-target", [{ effect: "allow", action: ["kms:ListKeys"], resource: ["*"] }]);
    await ok(AdminService.method.createPolicy, { name: "readonly-keys", document: JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: ["kms:Describe*"], resource: ["*"] }] }) });
    await ok(AdminService.method.createPolicy, { name: "admin-everything", document: JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: ["*"], resource: ["*"] }] }) });
    const attacher = await subUser("attacher", [
      { effect: "allow", action: ["kmsadmin:AttachPolicy", "kmsadmin:DetachPolicy"], resource: [`qcs::cam::uin/${A}:uin/${target.uin}`, `qcs::cam::uin/${A}:policy/readonly-*`] },
    ]);
    expect(await answer(call(AdminService.method.attachPolicy, { principalUin: target.uin, policyName: "readonly-keys" }, attacher.creds))).toBe("ok");
    expect(await answer(call(AdminService.method.attachPolicy, { principalUin: target.uin, policyName: "admin-everything" }, attacher.creds))).toMatch(/^UnauthorizedOperation/);
    expect(await answer(call(AdminService.method.attachPolicy, { principalUin: attacher.uin, policyName: "readonly-keys" }, attacher.creds))).toMatch(/^UnauthorizedOperation/);
    expect(await answer(call(AdminService.method.detachPolicy, { principalUin: target.uin, policyName: "readonly-keys" }, attacher.creds))).toBe("ok");
    // Policy documents by name: UpdatePolicy on one policy only.
    const editor = await subUser("editor", [{ effect: "allow", action: ["kmsadmin:UpdatePolicy"], resource: [`qcs::cam::uin/${A}:policy/readonly-keys`] }]);
    const doc = JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: ["kms:DescribeKey"], resource: ["*"] }] });
    expect(await answer(call(AdminService.method.updatePolicy, { name: "readonly-keys", document: doc }, editor.creds))).toBe("ok");
    expect(await answer(call(AdminService.method.updatePolicy, { name: "admin-everything", document: doc }, editor.creds))).toMatch(/^UnauthorizedOperation/);
  });

  it("a sub-user's grant in one account covers nothing in another", async () => {
    const b = await ok<{ account: { uin: bigint }; rootToken: string }>(OperatorService.method.createAccount, { name: "scoping-b" });
    const bRoot: Credentials = { kind: "token", token: b.rootToken };
    const bUser = await ok<{ principal: { uin: bigint } }>(AdminService.method.createPrincipal, { name: "b-user" }, bRoot);
    // A's sub-user with kmsadmin:* on every resource: B's principal does not exist for it.
    const aAdmin = await subUser("a-admin", [{ effect: "allow", action: ["kmsadmin:*"], resource: ["*"] }]);
    expect(await answer(call(AdminService.method.createToken, { principalUin: bUser.principal.uin }, aAdmin.creds))).toBe(`ResourceNotFound: principal ${bUser.principal.uin} does not exist`);
    expect(await answer(call(AdminService.method.createToken, { principalUin: 100999999999n }, aAdmin.creds))).toBe("ResourceNotFound: principal 100999999999 does not exist");
    // Even a grant naming B's resources explicitly: calls act in A.
    const aNamingB = await subUser("a-naming-b", [{ effect: "allow", action: ["kmsadmin:CreateToken"], resource: [`qcs::cam::uin/${b.account.uin}:uin/${bUser.principal.uin}`] }]);
    expect(await answer(call(AdminService.method.createToken, { principalUin: bUser.principal.uin }, aNamingB.creds))).toMatch(/^UnauthorizedOperation/);
  });
});

describe("one answer for missing and not yours (finding 8)", () => {
  it("a narrow grant is denied alike for a missing key, another principal's, another account's and another region's", async () => {
    const narrow = await subUser("narrow", [
      { effect: "allow", action: ["kms:CreateKey"], resource: ["*"] },
      { effect: "allow", action: ["kms:DescribeKey", "kms:Encrypt"], resource: ["qcs::kms::uin/*:key/creatorUin/${NARROW}/*"] },
    ]);
    // The grant names the narrow user's own uin: rewrite it now that it is known.
    await ok(AdminService.method.updatePolicy, {
      name: "narrow-policy",
      document: JSON.stringify({
        version: "2.0",
        statement: [
          { effect: "allow", action: ["kms:CreateKey"], resource: ["*"] },
          { effect: "allow", action: ["kms:DescribeKey", "kms:Encrypt"], resource: [`qcs::kms::uin/*:key/creatorUin/${narrow.uin}/*`] },
        ],
      }),
    });
    const ownKey = (await ok<{ keyId: string }>(KeyManagementService.method.createKey, { alias: "narrow-own" }, narrow.creds)).keyId;
    const rootsKey = (await ok<{ keyId: string }>(KeyManagementService.method.createKey, { alias: "roots" })).keyId;
    const inOtherRegion = (await ok<{ keyId: string }>(KeyManagementService.method.createKey, { alias: "narrow-r2" }, narrow.creds, R2)).keyId;
    const b = await ok<{ rootToken: string }>(OperatorService.method.createAccount, { name: "finding-8-b" });
    const othersKey = (await ok<{ keyId: string }>(KeyManagementService.method.createKey, { alias: "b-key" }, { kind: "token", token: b.rootToken })).keyId;
    const missing = "00000000-0000-4000-8000-00000000beef";

    expect(await answer(call(KeyManagementService.method.describeKey, { keyId: ownKey }, narrow.creds))).toBe("ok");
    const answers = await Promise.all([rootsKey, othersKey, inOtherRegion, missing].map((keyId) => answer(call(KeyManagementService.method.describeKey, { keyId }, narrow.creds))));
    expect(new Set(answers)).toEqual(new Set(["UnauthorizedOperation: not allowed to kms:DescribeKey on the requested resource"]));
    // Its own key in the other region is its own there.
    expect(await answer(call(KeyManagementService.method.describeKey, { keyId: inOtherRegion }, narrow.creds, R2))).toBe("ok");
    expect(await answer(call(KeyManagementService.method.describeKey, { keyId: ownKey }, narrow.creds, R2))).toBe("UnauthorizedOperation: not allowed to kms:DescribeKey on the requested resource");
  });

  it("a caller allowed on every key gets CmkNotFound alike, naming only the id it gave", async () => {
    const broad = await subUser("broad", [{ effect: "allow", action: ["kms:*"], resource: ["*"] }]);
    const c = await ok<{ account: { uin: bigint }; rootToken: string }>(OperatorService.method.createAccount, { name: "finding-8-c" });
    const othersKey = (await ok<{ keyId: string }>(KeyManagementService.method.createKey, { alias: "c-key" }, { kind: "token", token: c.rootToken })).keyId;
    const otherRegion = (await ok<{ keyId: string }>(KeyManagementService.method.createKey, { alias: "a-r2" }, root(), R2)).keyId;
    const missing = "00000000-0000-4000-8000-00000000cafe";
    for (const method of [KeyManagementService.method.describeKey, KeyManagementService.method.disableKey, KeyManagementService.method.getPublicKey] as const) {
      const seen = await Promise.all([othersKey, otherRegion, missing].map(async (keyId) => (await answer(call(method, { keyId }, broad.creds))).replace(keyId, "<id>")));
      expect(new Set(seen), method.name).toEqual(new Set(["ResourceUnavailable.CmkNotFound: key <id> does not exist"]));
      for (const s of seen) expect(s).not.toContain(c.account.uin.toString());
    }
  });
});
