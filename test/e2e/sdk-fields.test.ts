/**
 * Every documented field answers. Read from the official SDK's declarations
 * (kms_models.d.ts), for every KMS action this service implements: a request
 * carrying every field the SDK declares for it (nested ones included) goes
 * through the gateway's translation whole, and, sent by the SDK to the real
 * server, is never refused as UnknownParameter; every field the SDK's
 * responses declare exists in the contract; and GetServiceStatus,
 * KeyMetadata and DataKeyMetadata answer every one of theirs.
 */
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiEnumName } from "../../src/contract/enum-names.js";
import type { Route } from "../../src/pipeline/routes.js";
import { fromApi, type JsonValue } from "../../src/transport/api3/translate.js";
import { openInProcess } from "../helpers/in-process.js";
import { loadKmsModels, type SdkField } from "../helpers/sdk-models.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { tencentKms, type TencentKmsClient } from "../helpers/tencent.js";

const models = loadKmsModels();
let routes: Map<string, Route>;
let ts: TestServer;
let sdk: TencentKmsClient;

beforeAll(async () => {
  const core = await openInProcess();
  routes = new Map(core.core.pipeline.routes.all().filter((r) => r.api?.version === "2019-01-18").map((r) => [r.method.name, r]));
  await core.dispose();
  ts = await startTestServer({ env: { KMS_RATE_LIMIT: "0" } });
  sdk = tencentKms(ts.httpUrl, ts.secretId, ts.secretKey);
});
afterAll(async () => {
  await ts.dispose();
});

const fieldOf = (schema: DescMessage, jsonName: string): DescField | undefined => schema.fields.find((f) => f.jsonName === jsonName);

/** A value of the SDK's declared type that the contract field accepts: a valid enum spelling, base64 for bytes. */
function valueFor(type: string, field: DescField | undefined): JsonValue {
  const list = /^Array<(\w+)>$/.exec(type);
  if (list) return [valueFor(list[1] as string, field)];
  if (type === "number") return 1;
  if (type === "boolean") return true;
  if (type === "string") {
    const kind = field?.fieldKind === "list" ? field.listKind : field?.fieldKind;
    if (kind === "enum" && field?.enum) {
      const value = field.enum.values.find((v) => v.number !== 0);
      return value ? apiEnumName(field.enum, value) : "";
    }
    if (kind === "scalar" && field && "scalar" in field && field.scalar === 12) return Buffer.from("x").toString("base64");
    return "x";
  }
  // A nested interface: every one of its fields.
  return requestOf(type, field?.message);
}

/** Every declared field of an SDK interface, each with a value its contract field takes. */
function requestOf(iface: string, schema: DescMessage | undefined): { [k: string]: JsonValue } {
  const out: { [k: string]: JsonValue } = {};
  for (const f of models.interfaces.get(iface) ?? []) out[f.name] = valueFor(f.type, schema && fieldOf(schema, f.name));
  return out;
}

/** The fields of an SDK interface (recursively) that a contract message lacks, as "Message.Field". */
function missingFields(iface: string, schema: DescMessage, skip: readonly string[] = []): string[] {
  const missing: string[] = [];
  for (const f of models.interfaces.get(iface) ?? []) {
    if (skip.includes(f.name)) continue;
    const field = fieldOf(schema, f.name);
    if (!field) {
      missing.push(`${iface}.${f.name}`);
      continue;
    }
    const nested = /^(?:Array<)?(\w+)>?$/.exec(f.type)?.[1] as string;
    if (models.interfaces.has(nested) && field.message) missing.push(...missingFields(nested, field.message));
  }
  return missing;
}

const implemented = () => models.actions.filter((a) => routes.has(a));

describe("the SDK's declarations", () => {
  it("name 69 actions, and this service implements every one", () => {
    expect(models.actions).toHaveLength(69);
    expect(models.actions.filter((a) => !routes.has(a))).toEqual([]);
    expect(implemented()).toHaveLength(69);
  });

  it("every request field of every implemented action exists in the contract", () => {
    const missing = implemented().flatMap((a) => missingFields(`${a}Request`, (routes.get(a) as Route).method.input));
    expect(missing).toEqual([]);
  });

  it("every response field of every implemented action exists in the contract (RequestId is the envelope's)", () => {
    const missing = implemented().flatMap((a) => missingFields(`${a}Response`, (routes.get(a) as Route).method.output as DescMessage, ["RequestId"]));
    expect(missing).toEqual([]);
  });

  it("the gateway requires exactly the request fields the SDK declares non-optional", () => {
    for (const action of implemented()) {
      const route = routes.get(action) as Route;
      const declared = (models.interfaces.get(`${action}Request`) ?? []).filter((f) => !f.optional).map((f) => f.name).sort();
      expect([...(route.api?.required[route.method.input.typeName] ?? [])].sort(), action).toEqual(declared);
    }
  });

  it("the gateway's translation takes a request with every declared field of every implemented action, whole", () => {
    for (const action of implemented()) {
      const route = routes.get(action) as Route;
      const request = requestOf(`${action}Request`, route.method.input);
      expect(() => fromApi(route.method.input, request, "json", route.api?.required ?? {}), action).not.toThrow();
    }
  });
});

describe("the real server, through the official SDK", () => {
  it("refuses no declared field of any implemented action as unknown", async () => {
    const loose = sdk as unknown as { request(action: string, req: object): Promise<unknown> };
    const answers: Record<string, string> = {};
    for (const action of implemented()) {
      const route = routes.get(action) as Route;
      const request = requestOf(`${action}Request`, route.method.input);
      try {
        await loose.request(action, request);
        answers[action] = "ok";
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (typeof code !== "string") throw err;
        answers[action] = code;
      }
    }
    const refusedAsUnknown = Object.entries(answers).filter(([, code]) => code === "UnknownParameter" || code === "MissingParameter");
    expect(refusedAsUnknown).toEqual([]);
    // A member account that is not one of the caller's organisation is refused before the action runs.
    const withMember = implemented().filter((a) => (models.interfaces.get(`${a}Request`) ?? []).some((f: SdkField) => f.name === "MemberAccount" || f.name === "MemberAccounts"));
    expect(withMember).toHaveLength(29);
    for (const a of withMember) expect(answers[a], a).toBe("UnauthorizedOperation");
  });

  it("answers every field the SDK declares for GetServiceStatus, KeyMetadata and DataKeyMetadata", async () => {
    const declared = (iface: string, skip: string[] = []) => (models.interfaces.get(iface) ?? []).map((f) => f.name).filter((n) => !skip.includes(n)).sort();
    const status = (await sdk.GetServiceStatus()) as Record<string, unknown>;
    expect(declared("GetServiceStatusResponse").filter((n) => !(n in status))).toEqual([]);
    const keyId = (await sdk.CreateKey({ Alias: "fields" })).KeyId!;
    const md = (await sdk.DescribeKey({ KeyId: keyId })).KeyMetadata as Record<string, unknown>;
    expect(Object.keys(md).sort()).toEqual(declared("KeyMetadata"));
    expect(md).toMatchObject({ HsmClusterId: "tc-kms-cluster", IsSyncReplica: 0, SyncStatus: 0, AccountUin: 100000000001, AccountName: "default" });
    const { DataKeyId } = await sdk.GenerateDataKey({ KeyId: keyId, NumberOfBytes: 16, IsHostedByKms: 1, DataKeyName: "fields" });
    const dk = (await sdk.DescribeDataKey({ DataKeyId: DataKeyId! })).DataKeyMetadata as Record<string, unknown>;
    expect(Object.keys(dk).sort()).toEqual(declared("DataKeyMetadata"));
  });
});
