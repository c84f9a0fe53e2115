/**
 * Accounts through the official Tencent SDK, unmodified, over API 3.0: each
 * account's root access key (from OperatorService.CreateAccount) signs its
 * own calls; MemberAccount and MemberAccounts (json names exactly as the
 * SDK sends them) let an organisation manage a member's keys; X-TC-Region
 * scopes keys; the CMK limit and GetServiceStatus count per account and region.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OperatorService } from "../../gen/kms/v1/operator_pb.js";
import { bearer } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { sdkCode, tencentKms, type TencentKmsClient } from "../helpers/tencent.js";

const R1 = "ap-guangzhou";
const R2 = "ap-shanghai";

let ts: TestServer;
let sessions: Http2SessionManager;
interface Tenant {
  uin: number;
  sdk: (region?: string) => TencentKmsClient;
}
let org: Tenant;
let member: Tenant;
let outsider: Tenant;

beforeAll(async () => {
  ts = await startTestServer({ env: { KMS_REGIONS: `${R1},${R2}`, KMS_CMK_LIMIT: "3" } });
  sessions = new Http2SessionManager(ts.grpcUrl);
  const operator = createClient(OperatorService, createGrpcTransport({ baseUrl: ts.grpcUrl, sessionManager: sessions, interceptors: [bearer(ts.token)] }));
  const tenant = async (name: string): Promise<Tenant> => {
    const r = await operator.createAccount({ name });
    return { uin: Number(r.account!.uin), sdk: (region = R1) => tencentKms(ts.httpUrl, r.rootSecretId, r.rootSecretKey, { region }) };
  };
  org = await tenant("sdk-org");
  member = await tenant("sdk-member");
  outsider = await tenant("sdk-outsider");
  await operator.setAccountOrganization({ memberUin: BigInt(member.uin), organizationUin: BigInt(org.uin) });
});

afterAll(async () => {
  sessions?.abort();
  await ts?.dispose();
});

describe("accounts over API 3.0 with the official SDK", () => {
  it("an organisation manages a member's key with MemberAccount; without it the key is not there", async () => {
    const KeyId = (await member.sdk().CreateKey({ Alias: "sdk-payments" })).KeyId!;
    const MemberAccount = { MemberUin: member.uin };
    const described = await org.sdk().DescribeKey({ KeyId, MemberAccount });
    expect(described.KeyMetadata).toMatchObject({ KeyId, Alias: "sdk-payments", AccountUin: member.uin, AccountName: "sdk-member" });
    await org.sdk().DisableKey({ KeyId, MemberAccount });
    expect((await member.sdk().DescribeKey({ KeyId })).KeyMetadata?.KeyState).toBe("Disabled");
    await org.sdk().EnableKey({ KeyId, MemberAccount });
    await org.sdk().UpdateKeyDescription({ KeyId, Description: "managed by the organisation", MemberAccount });
    expect((await member.sdk().DescribeKey({ KeyId })).KeyMetadata?.Description).toBe("managed by the organisation");
    const listed = await org.sdk().ListKeyDetail({ MemberAccounts: [MemberAccount], KeyUsage: "ALL" });
    expect(listed.KeyMetadatas?.map((k) => [k.KeyId, k.AccountUin])).toEqual([[KeyId, member.uin]]);
    expect(await sdkCode(org.sdk().DescribeKey({ KeyId }))).toBe("ResourceUnavailable.CmkNotFound");
    // Crypto is not management: the organisation cannot use the member's key.
    expect(await sdkCode(org.sdk().Encrypt({ KeyId, Plaintext: Buffer.from("x").toString("base64") }))).toBe("ResourceUnavailable.CmkNotFound");
  });

  it("an organisation manages a member's hosted data keys with MemberAccount(s)", async () => {
    const KeyId = (await member.sdk().CreateKey({ Alias: "sdk-dk-cmk" })).KeyId!;
    const DataKeyId = (await member.sdk().GenerateDataKey({ KeyId, NumberOfBytes: 16, IsHostedByKms: 1, DataKeyName: "sdk-member-dk" })).DataKeyId!;
    const MemberAccount = { MemberUin: member.uin };
    expect((await org.sdk().DescribeDataKey({ DataKeyId, MemberAccount })).DataKeyMetadata).toMatchObject({ DataKeyId, KeyName: "sdk-dk-cmk", AccountUin: member.uin, AccountName: "sdk-member" });
    await org.sdk().DisableDataKey({ DataKeyId, MemberAccount });
    expect((await member.sdk().DescribeDataKey({ DataKeyId })).DataKeyMetadata?.KeyState).toBe("Disabled");
    const listed = await org.sdk().ListDataKeyDetail({ MemberAccounts: [MemberAccount] });
    expect(listed.DataKeyMetadatas?.map((d) => [d.DataKeyId, d.AccountUin])).toEqual([[DataKeyId, member.uin]]);
    expect(await sdkCode(org.sdk().DescribeDataKey({ DataKeyId }))).toBe("ResourceUnavailable.DataKeyNotFound");
    expect(await sdkCode(outsider.sdk().DescribeDataKey({ DataKeyId, MemberAccount }))).toBe("UnauthorizedOperation");
  });

  it("refuses MemberAccount naming an account outside the organisation, as for one that does not exist", async () => {
    const KeyId = (await outsider.sdk().CreateKey({ Alias: "sdk-outsider" })).KeyId!;
    expect(await sdkCode(org.sdk().DescribeKey({ KeyId, MemberAccount: { MemberUin: outsider.uin } }))).toBe("UnauthorizedOperation");
    expect(await sdkCode(org.sdk().DescribeKey({ KeyId, MemberAccount: { MemberUin: 987654321 } }))).toBe("UnauthorizedOperation");
    expect(await sdkCode(member.sdk().DescribeKey({ KeyId, MemberAccount: { MemberUin: org.uin } }))).toBe("UnauthorizedOperation");
    expect(await sdkCode(org.sdk().DescribeKey({ KeyId, MemberAccount: { MemberUin: "x" as unknown as number } }))).toBe("InvalidParameter");
    // Another account's key, by id alone: not found.
    expect(await sdkCode(member.sdk().DescribeKey({ KeyId }))).toBe("ResourceUnavailable.CmkNotFound");
  });

  it("keeps keys in their region (X-TC-Region), with the limit and the counts per account and region", async () => {
    const here = member.sdk(R1);
    const there = member.sdk(R2);
    // One key already (the first test): the limit is 3 per account and region.
    const before = (await here.GetServiceStatus()).CmkUserCount ?? 0;
    for (let i = before; i < 3; i++) await here.CreateKey({ Alias: `sdk-fill-${i}` });
    expect(await sdkCode(here.CreateKey({ Alias: "sdk-one-too-many" }))).toBe("LimitExceeded.CmkLimitExceeded");
    expect((await here.GetServiceStatus()).CmkUserCount).toBe(3);
    // Another region of the same account, and another account, are not full.
    expect((await there.GetServiceStatus()).CmkUserCount).toBe(0);
    const KeyId = (await there.CreateKey({ Alias: "sdk-fill-0" })).KeyId!;
    expect(await sdkCode(here.DescribeKey({ KeyId }))).toBe("ResourceUnavailable.CmkNotFound");
    expect((await there.DescribeKey({ KeyId })).KeyMetadata?.Alias).toBe("sdk-fill-0");
    expect((await there.ListKeys({})).TotalCount).toBe(1);
    expect((await outsider.sdk().CreateKey({ Alias: "sdk-fill-0" })).KeyId).toBeDefined();
  });
});
